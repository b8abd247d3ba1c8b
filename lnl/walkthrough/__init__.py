"""The book's walk-throughs, one module per method: the steps a tutorial takes by hand on a small
batch or on its trained runs, apart from the methods (:mod:`lnl.methods`), whose training never
calls them. Code here cannot change what a run computes (:data:`lnl.records.PRESENTATION_MODULES`)."""
