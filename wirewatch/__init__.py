"""wirewatch: watch news sources, emit one clean enriched event per article, alert on topics.

This package is the shell both sides share: settings, logging, Redis (embedded or configured), the ledger
of accepted work, outcomes, and the ``wirewatch`` command line.
"""

__version__ = "0.1.0"
