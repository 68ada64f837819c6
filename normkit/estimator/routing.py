"""scikit-learn's metadata routing for an estimator that does not import scikit-learn.

scikit-learn gives ``set_fit_request``, ``set_partial_fit_request`` and
``get_metadata_routing`` to subclasses of ``BaseEstimator`` (its ``_MetadataRequester`` reads
them off the method signatures when the class is defined). ``Standardizer`` does not inherit
from it, since importing scikit-learn takes over a second that every ``normkit`` command would
pay; without these methods a pipeline with ``enable_metadata_routing=True`` took it for an
estimator that asks for no metadata and fitted it without its sample weights. They are written
here, over scikit-learn's public ``MetadataRequest``, imported on first use (only
scikit-learn's routers call them).
"""

from __future__ import annotations

from typing import Any

__all__ = ["MetadataConsumer"]

#: scikit-learn's ``metadata_routing.UNCHANGED`` ("leave this request as it is"), spelled here
#: so that the signatures need no import of scikit-learn.
UNCHANGED = "$UNCHANGED$"

#: The methods that take metadata, and which: StandardScaler's (the rows' weights, and the
#: ``copy`` its transforms take, which scikit-learn's messages name beside them).
_CONSUMED = {
    "fit": ["sample_weight"],
    "partial_fit": ["sample_weight"],
    "transform": ["copy"],
    "inverse_transform": ["copy"],
}


class MetadataConsumer:
    """A metadata consumer as StandardScaler is one: ``sample_weight`` of ``fit`` and
    ``partial_fit`` (and ``copy`` of the transforms) neither requested nor refused until set,
    so that a router passing it raises ``UnsetMetadataPassedError`` as for StandardScaler."""

    def set_fit_request(self, *, sample_weight: bool | str | None = UNCHANGED) -> Any:
        """Whether ``fit`` is given ``sample_weight`` by a router (a ``Pipeline`` with
        ``sklearn.set_config(enable_metadata_routing=True)``): True, False, None (a router
        that passes it raises) or an alias, as scikit-learn's ``set_fit_request``.

        Returns
        -------
        self
        """
        return self._set_request("fit", sample_weight=sample_weight)

    def set_partial_fit_request(self, *, sample_weight: bool | str | None = UNCHANGED) -> Any:
        """As :meth:`set_fit_request`, for ``partial_fit``.

        Returns
        -------
        self
        """
        return self._set_request("partial_fit", sample_weight=sample_weight)

    def set_transform_request(self, *, copy: bool | str | None = UNCHANGED) -> Any:
        """As :meth:`set_fit_request`, for ``transform``'s ``copy``.

        Returns
        -------
        self
        """
        return self._set_request("transform", copy=copy)

    def set_inverse_transform_request(self, *, copy: bool | str | None = UNCHANGED) -> Any:
        """As :meth:`set_fit_request`, for ``inverse_transform``'s ``copy``.

        Returns
        -------
        self
        """
        return self._set_request("inverse_transform", copy=copy)

    def _set_request(self, method: str, **requests: Any) -> Any:
        # As scikit-learn's generated setters: only with routing on; a request left UNCHANGED
        # (compared by value: this module's string is not scikit-learn's object) is kept.
        import sklearn

        if not sklearn.get_config()["enable_metadata_routing"]:
            raise RuntimeError(
                "This method is only available when metadata routing is enabled. You can "
                "enable it using sklearn.set_config(enable_metadata_routing=True)."
            )
        request = self._get_metadata_request()
        for name, alias in requests.items():
            if not (isinstance(alias, str) and alias == UNCHANGED):
                getattr(request, method).add_request(param=name, alias=alias)
        self._metadata_request = request
        return self

    def _get_metadata_request(self) -> Any:
        """The requests as set, else the defaults (``RequestMethod`` reads them here)."""
        from sklearn.utils.metadata_routing import MetadataRequest, get_routing_for_object

        stored = self.__dict__.get("_metadata_request")
        if stored is not None:
            return get_routing_for_object(stored)  # a copy
        requests = MetadataRequest(owner=self)
        for method, names in _CONSUMED.items():
            for name in names:
                getattr(requests, method).add_request(param=name, alias=None)
        return requests

    def get_metadata_routing(self) -> Any:
        """The metadata this estimator asks for (a scikit-learn ``MetadataRequest``).

        Returns
        -------
        sklearn.utils.metadata_routing.MetadataRequest
        """
        return self._get_metadata_request()
