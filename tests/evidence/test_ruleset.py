"""The extractor's rules are data: they load, validate and round-trip."""

from __future__ import annotations

import pytest
import yaml
from pydantic import ValidationError

from remission.evidence.ruleset import ContextRules, TargetRules, load_rules
from remission.exceptions import VocabularyError


@pytest.mark.parametrize("name", ["furniture", "sections", "targets", "context"])
def test_rule_files_load_and_round_trip(name):
    rules = load_rules(name)
    again = type(rules).model_validate(yaml.safe_load(rules.to_yaml()))
    assert again == rules


def test_an_unknown_rule_file_is_a_clear_error():
    with pytest.raises(VocabularyError, match="no extraction rule file named 'nope'"):
        load_rules("nope")


def test_a_broken_pattern_is_rejected_with_its_text():
    with pytest.raises(ValidationError, match="not a valid regular expression"):
        TargetRules.model_validate(
            {
                "name": "targets",
                "description": "x",
                "rules": [{"literal": "x", "category": "X", "pattern": "(unclosed"}],
            }
        )


def test_a_rule_needs_phrases_or_a_pattern_not_both():
    with pytest.raises(ValidationError, match="either phrases or a pattern"):
        ContextRules.model_validate(
            {
                "name": "context",
                "description": "x",
                "rules": [
                    {
                        "literal": "no",
                        "category": "NEGATED_EXISTENCE",
                        "direction": "FORWARD",
                        "phrases": ["no"],
                        "pattern": "no",
                    }
                ],
            }
        )


def test_a_heading_in_two_sections_is_rejected():
    raw = yaml.safe_load(load_rules("sections").to_yaml())
    raw["sections"][0]["headings"].append("Discussion")
    with pytest.raises(ValidationError, match="Discussion"):
        type(load_rules("sections")).model_validate(raw)
