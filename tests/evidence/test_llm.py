"""The language-model extractor against a real HTTP server speaking /v1/chat/completions."""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remission.evidence.llm import ENV_MODEL, ENV_URL, LLMExtractor, locate, parse_answer
from remission.exceptions import LanguageModelError

TEXT = (
    "A 9-year-old girl with B-ALL in second relapse received tisagenlecleucel.\n"
    "She developed grade 2  CRS and reached an MRD-negative complete remission."
)

GOOD = {
    "kind": "case_report",
    "patients": [
        {
            "label": None,
            "summary": {
                "age_years": 9,
                "sex": "female",
                "relapse_count": 2,
                "crs_max_grade": 2,
                "response": "CR",
                "mrd_negative": True,
                "index_therapies": [{"class": "car_t", "agent": "tisagenlecleucel"}],
            },
            "evidence": {
                "age_years": "9-year-old",
                "sex": "girl",
                "relapse_count": "second relapse",
                "crs_max_grade": "Grade 2 CRS",  # case and spacing differ from the text
                "response": "complete remission",
                "mrd_negative": ["MRD-negative"],
                "index_therapies[0]": "received tisagenlecleucel",
            },
        }
    ],
    "cohort": None,
}


class _Server:
    def __init__(self):
        self.answers: list[tuple[int, object, float]] = []
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                server.requests.append(
                    {
                        "path": self.path,
                        "auth": self.headers.get("Authorization"),
                        "body": json.loads(body),
                    }
                )
                status, payload, delay = server.answers.pop(0)
                time.sleep(delay)
                data = (
                    payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                )
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def answer(self, content, status=200, delay=0.0):
        if isinstance(content, dict) and "kind" in content:  # a model's answer: wrap it
            content = {
                "choices": [{"message": {"role": "assistant", "content": json.dumps(content)}}]
            }
        self.answers.append((status, content, delay))

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = _Server()
    yield s
    s.close()


def test_values_come_with_spans_of_the_original_text(server):
    server.answer(GOOD)
    extractor = LLMExtractor(server.url, "test-model", api_key="sk-test")
    result = extractor.extract(TEXT, file="case.txt")
    (patient,) = result.patients
    assert patient.summary.crs_max_grade == 2 and patient.summary.mrd_negative is True
    spans = {v.field: v.evidence[0].spans[0] for v in patient.values}
    assert spans["crs_max_grade"].text == "grade 2  CRS"  # the text's own words and spacing
    for span in spans.values():
        assert TEXT[span.start : span.end] == span.text
    assert result.extractor == "llm test-model"
    request = server.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer sk-test"
    assert request["body"]["model"] == "test-model"
    assert request["body"]["messages"][1]["content"] == TEXT


def test_a_value_whose_quotation_is_not_in_the_text_is_dropped(server):
    answer = json.loads(json.dumps(GOOD))
    answer["patients"][0]["summary"]["icans_max_grade"] = 3
    answer["patients"][0]["evidence"]["icans_max_grade"] = "grade 3 ICANS"
    del answer["patients"][0]["evidence"]["sex"]
    server.answer(answer)
    result = LLMExtractor(server.url, "m").extract(TEXT)
    summary = result.patients[0].summary
    assert summary.icans_max_grade is None and summary.sex is None
    assert summary.crs_max_grade == 2
    assert any("icans_max_grade dropped" in w for w in result.warnings)
    assert {v.field for v in result.patients[0].values} == {
        "age_years",
        "relapse_count",
        "crs_max_grade",
        "response",
        "mrd_negative",
        "index_therapies[0]",
    }


def test_a_fenced_answer_and_cohort_counts_are_read(server):
    text = "Fourteen children were treated; 12 of 14 reached complete remission."
    content = {
        "kind": "cohort",
        "patients": [],
        "cohort": {"n_patients": 14, "n_complete_response": 12},
        "cohort_evidence": {"n_patients": "Fourteen children", "n_complete_response": "12 of 14"},
    }
    server.answer(
        {"choices": [{"message": {"content": "```json\n" + json.dumps(content) + "\n```"}}]}
    )
    result = LLMExtractor(server.url, "m").extract(text)
    assert result.kind == "cohort" and result.cohort.n_complete_response == 12
    assert [v.field for v in result.cohort_values] == [
        "cohort.n_patients",
        "cohort.n_complete_response",
    ]


@pytest.mark.parametrize(
    ("status", "content", "message"),
    [
        (500, {"error": "overloaded"}, "refused the request (HTTP 500)"),
        (200, {"choices": []}, "not a chat completion"),
        (
            200,
            {"choices": [{"message": {"content": "Sure! Here is the summary."}}]},
            "did not answer with JSON",
        ),
        (
            200,
            {"choices": [{"message": {"content": json.dumps({"kind": "novel"})}}]},
            "not the JSON asked for",
        ),
        (
            200,
            {
                "choices": [
                    {
                        "message": {
                            "content": json.dumps(
                                {
                                    "kind": "case_report",
                                    "patients": [{"summary": {"crs_max_grade": 9}}],
                                }
                            )
                        }
                    }
                ]
            },
            "does not fit the summary",
        ),
        (200, "<html>gateway</html>", "not a chat completion"),
    ],
)
def test_bad_answers_give_clear_errors(server, status, content, message):
    server.answers.append((status, content, 0.0))
    with pytest.raises(LanguageModelError, match=re.escape(message)):
        LLMExtractor(server.url, "m").extract(TEXT, file="case.txt")


def test_a_slow_endpoint_times_out_with_a_clear_message(server):
    server.answer(GOOD, delay=1.5)
    with pytest.raises(LanguageModelError, match=r"did not answer within 0\.3 s"):
        LLMExtractor(server.url, "m", timeout=0.3).extract(TEXT)


def test_an_unreachable_endpoint_is_said_so():
    with pytest.raises(LanguageModelError, match="cannot be reached"):
        LLMExtractor("http://127.0.0.1:9/v1", "m", timeout=2).extract(TEXT)


def test_configuration_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv(ENV_URL, raising=False)
    monkeypatch.delenv(ENV_MODEL, raising=False)
    with pytest.raises(LanguageModelError, match=r"needs the endpoint URL .* and the model name"):
        LLMExtractor.configured()
    monkeypatch.setenv(ENV_URL, "http://localhost:8000/v1/")
    monkeypatch.setenv(ENV_MODEL, "local")
    extractor = LLMExtractor.configured()
    assert extractor.url == "http://localhost:8000/v1/chat/completions"
    with pytest.raises(LanguageModelError, match="http:// or https://"):
        LLMExtractor("ftp://x", "m")


def test_an_empty_text_is_not_sent(server):
    result = LLMExtractor(server.url, "m").extract("   ")
    assert result.patients == () and server.requests == []


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=5, max_size=200), st.data())
def test_a_located_quotation_is_always_the_texts_own_characters(text, data):
    start = data.draw(st.integers(0, len(text) - 2))
    end = data.draw(st.integers(start + 2, len(text)))
    quote = text[start:end]
    variant = data.draw(st.sampled_from([quote, quote.upper(), " ".join(quote.split())]))
    span = locate(variant, text)
    if span is not None:
        assert text[span.start : span.end] == span.text
    if quote.strip() and len(quote.strip()) >= 2:
        assert locate(quote, text) is not None


def test_parse_answer_is_pure_and_deterministic():
    content = json.dumps(GOOD)
    assert parse_answer(content, TEXT, extractor="x") == parse_answer(content, TEXT, extractor="x")
