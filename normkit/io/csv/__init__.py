"""CSV: the reader (:mod:`.reader`; records parsed by the native engine, :mod:`.native`; the
dialect detected by :mod:`.sniff`; columns typed by :mod:`.columns`) and the writer
(:mod:`.writer`)."""
