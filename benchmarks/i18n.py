"""Translations: what choosing a locale and translating a page cost per request.

In process through the ASGI app, medians of repeated runs:

- a JSON endpoint in an English-only app (no locale is chosen), then in an app serving
  English and French: by URL prefix, by ``Accept-Language``, by cookie;
- a page of 20 ``{% trans %}`` blocks and two ``format_*`` filters, in English in the
  English-only app and in French (the same page, translated) in the bilingual one.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import markdown_table, median, new_event_loop
from benchmarks.driver import start_lifespan, time_requests_ns

__all__ = ["I18nResult", "run"]

WORDS = [f"Message number {i}" for i in range(20)]
PAGE = (
    "<html lang='{{ locale }}'><body>"
    + "".join(f"<p>{{% trans %}}{word}{{% endtrans %}}</p>" for word in WORDS)
    + "<p>{{ when | format_date('long') }} {{ price | format_currency('EUR') }}</p></body></html>"
)
PO_HEADER = (
    'msgid ""\nmsgstr ""\n"Language: fr\\n"\n"Plural-Forms: nplurals=2; plural=(n > 1);\\n"\n\n'
)


@dataclass
class I18nResult:
    """Median µs per request, by label."""

    us: dict[str, float]

    def markdown(self) -> str:
        """One table: each case beside the English-only endpoint or page."""
        rows = []
        for label, us in self.us.items():
            base = self.us[
                "page, English-only app" if label.startswith("page") else "json, English-only app"
            ]
            rows.append([label, f"{us:.2f}", f"{us - base:+.2f}"])
        return markdown_table(["request", "µs/request", "µs beside English-only"], rows)


def _app(root: Path, locales: list[str]) -> Any:
    import datetime
    import decimal

    from mvcpy import App, Controller
    from mvcpy.i18n.catalog_files import compile_catalogs

    (root / "views").mkdir(parents=True, exist_ok=True)
    (root / "views" / "page.html").write_text(PAGE)
    po = root / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True, exist_ok=True)
    po.write_text(
        PO_HEADER + "".join(f'msgid "{w}"\nmsgstr "Message numéro {w[15:]}"\n\n' for w in WORDS)
    )
    compile_catalogs(root / "translations")
    if locales == ["en"]:
        (root / "translations").rename(root / "unused")  # no catalogs: English as written

    class Pages(Controller):
        def page(self) -> None:
            self.tpl_name = "page.html"
            self.data.update(when=datetime.date(2026, 12, 4), price=decimal.Decimal("12.5"))

    config = {"secret_key": "k" * 40, "i18n": {"locales": locales, "url_prefix": True}}
    app = App(root_path=root, env="prod", config=config)

    async def json(ctx: Any) -> dict[str, bool]:  # on the event loop: no thread hop to blur
        return {"ok": True}

    app.route("/json", json, name="json")
    app.router("/page", Pages, "get:page")
    return app


async def _time(iterations: int, repeats: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        english = _app(Path(tmp) / "en", ["en"])
        both = _app(Path(tmp) / "both", ["en", "fr"])
        stops = [await start_lifespan(english), await start_lifespan(both)]
        french = [(b"accept-language", b"fr-FR,fr;q=0.9,en;q=0.8")]
        cookie = [(b"cookie", b"theme=dark; locale=fr")]
        cases: dict[str, tuple[Any, str, list[tuple[bytes, bytes]]]] = {
            "json, English-only app": (english, "/json", []),
            "json, /fr/ prefix": (both, "/fr/json", []),
            "json, Accept-Language": (both, "/json", french),
            "json, cookie": (both, "/json", cookie),
            "page, English-only app": (english, "/page", []),
            "page, in French (/fr/ prefix)": (both, "/fr/page", []),
        }
        for _ in range(repeats):
            for label, (app, path, headers) in cases.items():
                samples.setdefault(label, []).append(
                    await time_requests_ns(app, path, iterations, headers) / 1000
                )
        for stop in stops:
            await stop()
    return samples


def run(quick: bool = False) -> I18nResult:
    """Time the six cases."""
    iterations = 2_000 if quick else 20_000
    repeats = 5 if quick else 7
    loop = new_event_loop()
    try:
        samples = loop.run_until_complete(_time(iterations, repeats))
    finally:
        loop.close()
    return I18nResult({k: median(v) for k, v in samples.items()})


if __name__ == "__main__":
    print(run(quick=True).markdown())
