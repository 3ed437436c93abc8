"""Vocabularies are data: they load, validate, normalise synonyms and round-trip."""

import pytest
import yaml

from remission.model.vocab import Vocabulary, load_vocabulary, vocabulary_names


def test_every_bundled_vocabulary_loads_and_round_trips():
    for name in vocabulary_names():
        vocab = load_vocabulary(name)
        again = Vocabulary.model_validate(yaml.safe_load(vocab.to_yaml()))
        assert again == vocab


@pytest.mark.parametrize(
    ("vocab", "surface", "term"),
    [
        ("donor_types", "haploBMT", "haploidentical"),
        ("donor_types", "haplo-HSCT", "haploidentical"),
        ("donor_types", "haploidentical transplant", "haploidentical"),
        ("sites", "leukemides", "skin"),
        ("sites", "leukaemides", "skin"),
        ("sites", "testicular", "testis"),
        ("sites", "CSF", "cns"),
        ("agents", "Blincyto", "blinatumomab"),
        ("agents", "Ara-C", "cytarabine"),
        ("agents", "inotuzumab/ozogamicin", "inotuzumab_ozogamicin"),
        ("car_t_products", "Kymriah", "tisagenlecleucel"),
        ("car_t_products", "KTE-X19", "brexucabtagene_autoleucel"),
        ("analytes", "IL-6", "il6"),
    ],
)
def test_synonyms_meet_in_one_term(vocab, surface, term):
    assert load_vocabulary(vocab).normalize(surface) == term


def test_unknown_term_names_the_closest():
    with pytest.raises(ValueError, match="did you mean 'ponatinib'"):
        load_vocabulary("agents").normalize("ponatinb")


def test_two_terms_may_not_share_a_synonym():
    with pytest.raises(ValueError, match="names both"):
        Vocabulary(
            name="x", description="thing",
            terms=[{"id": "a", "label": "A", "synonyms": ["same"]}, {"id": "b", "label": "B", "synonyms": ["Same"]}],
        )


def test_eye_summarises_as_other_and_leukemides_as_skin():
    sites = load_vocabulary("sites")
    assert sites.get("eye").attributes["summary"] == "other"
    assert sites.get("skin").attributes["summary"] == "skin"
    assert "summary" not in sites.get("marrow").attributes


def test_product_facts_are_those_of_the_label():
    products = load_vocabulary("car_t_products")
    tisa = products.get("tisagenlecleucel").attributes
    assert (tisa["target"], tisa["costimulatory"], tisa["cell_source"]) == ("CD19", ["4-1BB"], "autologous")
    brexu = products.get("brexucabtagene_autoleucel").attributes
    assert brexu["costimulatory"] == ["CD28"]
