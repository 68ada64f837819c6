"""The scikit-learn-shaped front: :class:`~.standardizer.Standardizer`, and how fitted statistics
are applied to tables and streams (:mod:`.apply`)."""
