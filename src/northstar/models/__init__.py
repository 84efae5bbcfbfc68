"""Customer-base models in the estimator convention (``fit`` returns the model; fitted values end in ``_``;
``summary``; ``log_likelihood_``; standard errors), validated against the published results (docs/clv.md):

* :class:`ShiftedBetaGeometric`: contractual retention (Fader & Hardie 2007, 2010);
* :class:`BetaGeoNBD` and :class:`ParetoNBD`: repeat purchasing when customers leave unseen (Fader, Hardie &
  Lee 2005; Schmittlein, Morrison & Colombo 1987);
* :class:`GammaGamma`: spend per transaction (Fader, Hardie & Lee 2005);
* :func:`summarise_transactions`: a transaction log to frequency, recency, T and monetary value.
"""

from northstar.models.base import ConvergenceError, NotFittedError
from northstar.models.bgnbd import BetaGeoNBD
from northstar.models.gamma_gamma import GammaGamma
from northstar.models.pareto_nbd import ParetoNBD
from northstar.models.sbg import ShiftedBetaGeometric
from northstar.models.transactions import summarise_transactions

__all__ = [
    "BetaGeoNBD",
    "ConvergenceError",
    "GammaGamma",
    "NotFittedError",
    "ParetoNBD",
    "ShiftedBetaGeometric",
    "summarise_transactions",
]
