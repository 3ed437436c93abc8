"""The kinetic profile figure: log axis, BLQ marked, LLOQ line, fitted curve, Cmax/Tmax."""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from remission.figures import plot_kinetic_profile
from remission.figures.kinetics import pretty_unit
from remission.kinetics import STEIN2019_TYPICAL, Profile, fit_stein, simulate_profile

DAYS = [0, 1, 3, 7, 10, 14, 21, 28, 56, 90, 180, 365]


def _profile() -> Profile:
    p = simulate_profile(STEIN2019_TYPICAL, DAYS, sigma=0.3, lloq=20, rng=4)
    return Profile.from_arrays(p.days, p.values, blq=p.blq, lloq=20, unit="copies/ug",
                               analyte="CAR-T transgene", label="Patient 4")


def test_figure_elements(tmp_path):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    prof = _profile()
    fig = plot_kinetic_profile(prof, fit=fit_stein(prof))
    assert isinstance(fig, Figure)
    assert plt.get_fignums() == before  # nothing registered with pyplot
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "measured" in labels and "below LLOQ" in labels
    assert any(lab.startswith("Stein 2019 fit") for lab in labels)
    blq_line = next(ln for ln in ax.lines if ln.get_label() == "below LLOQ")
    assert blq_line.get_marker() == "v"
    assert np.allclose(blq_line.get_ydata(), 20)
    texts = [t.get_text() for t in ax.texts]
    assert "LLOQ" in texts
    assert any(t.startswith("Cmax") and "Tmax day" in t for t in texts)
    assert "copies/µg" in ax.get_ylabel()
    out = tmp_path / "k.png"
    fig.savefig(out)
    assert out.stat().st_size > 10_000


def test_figure_without_fit_or_lloq_and_all_blq():
    fig = plot_kinetic_profile(Profile.from_arrays([0, 7, 14], [0, 500, 50]))
    assert fig.axes[0].get_yscale() == "log"
    fig2 = plot_kinetic_profile(Profile.from_arrays([0, 7], [None, None], blq=[True, True]))
    assert fig2.axes[0].texts == [] or all("Cmax" not in t.get_text()
                                           for t in fig2.axes[0].texts)
    fig2.canvas.draw()
    assert matplotlib.get_backend()  # backend untouched, still usable


def test_pretty_unit():
    assert pretty_unit("copies/ug") == "copies/µg"
    assert pretty_unit("cells/uL") == "cells/µL"
