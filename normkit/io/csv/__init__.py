"""CSV: the reader (:mod:`.reader`: pyarrow's parser, :mod:`.blocks` parsed in parallel, columns
typed by :mod:`.columns`) and the writer (:mod:`.writer`)."""
