"""How the library's parameter references in a message (:func:`normkit.errors.param`) are
spelled as the flags of the command that was run."""

from __future__ import annotations

import click

from normkit.errors import plain_value

from .options import LibraryOption

__all__ = ["Spelling"]


class Spelling:
    """Spells the library's parameter references (:func:`normkit.errors.param`) as the flags of
    one command: ``exclude='b'`` becomes ``--exclude b``; a parameter the command has no option
    for is not spelled (None), so a hint naming it is left out."""

    def __init__(self, command: click.Command):
        self.options: dict[str, LibraryOption] = {}
        for p in command.params:
            if isinstance(p, LibraryOption):
                self.options.setdefault(p.library_param, p)

    def __call__(self, name: str, value: str | None) -> str | None:
        option = self.options.get(name)
        if option is None:
            return None
        if option.is_flag:
            # A flag can give its parameter one value only (--no-mean: with_mean=False).
            if value is None or str(plain_value(value)) == str(option.sets):
                return option.flag
            if option.secondary_opts and str(plain_value(value)) == str(not option.sets):
                return option.secondary_opts[0]  # --header/--no-header: either value
            return None
        if value is None:
            return option.flag
        import shlex

        plain = plain_value(value)
        as_text = getattr(option.type, "as_text", None) or str
        text = ",".join(map(as_text, plain)) if isinstance(plain, list) else as_text(plain)
        shell = shlex.quote(text)
        if "'" in text and not any(c in text for c in '"$`\\!'):
            shell = f'"{text}"'  # --quote "'", not --quote ''"'"''
        return f"{option.flag} {shell}"
