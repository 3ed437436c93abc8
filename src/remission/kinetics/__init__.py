"""CAR-T cellular kinetics and blinatumomab exposure (pure computation, no I/O).

* :mod:`~remission.kinetics.profile` — the validated input :class:`Profile`;
* :mod:`~remission.kinetics.nca` — non-compartmental figures (PKNCA conventions);
* :mod:`~remission.kinetics.stein` — the Stein 2019 piecewise model (closed form, exact AUC,
  simulation);
* :mod:`~remission.kinetics.fit` — one-patient fits with a BLQ-aware likelihood;
* :mod:`~remission.kinetics.population` — many patients, two-stage summary;
* :mod:`~remission.kinetics.bcell` — B-cell aplasia duration;
* :mod:`~remission.kinetics.blinatumomab` — Clements 2020 one-compartment exposure.

Sources and conventions: ``shared/reference/kinetics.md`` and docs/kinetics.md.
"""

from remission.kinetics.bcell import BCellAplasia, bcell_aplasia
from remission.kinetics.blinatumomab import (
    CLEMENTS2020,
    REGIMENS,
    BlinatumomabExposure,
    BlinatumomabPK,
    InfusionStep,
    Regimen,
    blinatumomab_exposure,
    body_surface_area,
    label_regimen,
)
from remission.kinetics.fit import (
    STEIN2019_PRIOR,
    ParameterEstimate,
    SteinFit,
    SteinPrior,
    fit_stein,
)
from remission.kinetics.nca import (
    PKNCA_BLQ_RULE,
    AUCResult,
    BLQRule,
    NCAResult,
    auc_interval,
    clean_blq,
    nca,
)
from remission.kinetics.population import PopulationFit, fit_population, summarise
from remission.kinetics.profile import Profile
from remission.kinetics.stein import (
    STEIN2019_IIV_VARIANCE,
    STEIN2019_RESIDUAL_SD,
    STEIN2019_TYPICAL,
    SteinParams,
    sample_patient_params,
    simulate_profile,
    stein_auc,
    stein_concentration,
)

__all__ = [
    "CLEMENTS2020",
    "PKNCA_BLQ_RULE",
    "REGIMENS",
    "STEIN2019_IIV_VARIANCE",
    "STEIN2019_PRIOR",
    "STEIN2019_RESIDUAL_SD",
    "STEIN2019_TYPICAL",
    "AUCResult",
    "BCellAplasia",
    "BLQRule",
    "BlinatumomabExposure",
    "BlinatumomabPK",
    "InfusionStep",
    "NCAResult",
    "ParameterEstimate",
    "PopulationFit",
    "Profile",
    "Regimen",
    "SteinFit",
    "SteinParams",
    "SteinPrior",
    "auc_interval",
    "bcell_aplasia",
    "blinatumomab_exposure",
    "body_surface_area",
    "clean_blq",
    "fit_population",
    "fit_stein",
    "label_regimen",
    "nca",
    "sample_patient_params",
    "simulate_profile",
    "stein_auc",
    "stein_concentration",
    "summarise",
]
