"""CSV: the reader (:mod:`.reader`: pyarrow's parser, :mod:`.blocks` parsed in parallel) and the
writer (:mod:`.writer`)."""
