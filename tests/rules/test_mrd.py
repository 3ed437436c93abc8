"""MRD negativity: < 1e-4 by flow or PCR, < 1e-6 by NGS (clinical-criteria.md section 3.2)."""

import pytest

from remission.model import MRD
from remission.rules.mrd import DEFAULT_MRD_THRESHOLDS, mrd_negative


@pytest.mark.parametrize(
    ("value", "method", "negative"),
    [
        (9.9e-5, "flow", True),
        (1e-4, "flow", False),  # the criterion is strictly below 10^-4
        (2e-4, "rq_pcr_ig_tr", False),
        (5e-5, "rt_qpcr_fusion", True),
        (9e-7, "ngs", True),
        (5e-5, "ngs", False),  # negative by flow, positive by NGS at 10^-6
    ],
)
def test_value_against_the_method_threshold(value, method, negative):
    assert mrd_negative(MRD(value=value, method=method)).negative is negative


def test_not_detected_counts_as_negative_when_no_sensitivity_is_given():
    call = mrd_negative(MRD(detectable=False, method="flow"))
    assert call.negative is True


def test_not_detected_by_an_insensitive_assay_is_indeterminate():
    call = mrd_negative(MRD(detectable=False, method="ngs", sensitivity=1e-4))
    assert call.negative is None
    assert "sensitivity" in call.reason


def test_detected_without_a_value_is_positive():
    assert mrd_negative(MRD(detectable=True)).negative is False


def test_thresholds_can_be_set_by_the_caller_and_are_reported():
    call = mrd_negative(MRD(value=5e-4, method="flow"), {"flow": 1e-3})
    assert call.negative is True and call.threshold == 1e-3
    assert DEFAULT_MRD_THRESHOLDS["flow"] == 1e-4


def test_a_value_above_zero_cannot_be_undetectable():
    with pytest.raises(ValueError, match="cannot be 'not detectable'"):
        MRD(value=1e-3, detectable=False)
