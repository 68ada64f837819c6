"""The fitted statistics: one value (:mod:`.fitted`) and its file (:mod:`.statfile`, laid out by
the field table of :mod:`.fields`)."""
