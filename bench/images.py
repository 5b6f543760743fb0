"""Benchmark: time and peak memory of cleaning one uploaded picture, per format and size.

Run:  .venv/bin/python bench/images.py            (every case, about a minute)
      .venv/bin/python bench/images.py --quick    (the 7,740 × 7,740 PNG and the largest accepted PNG)

Each case is a file written once in a temporary folder, then cleaned by ``tenants.images.clean_image``
(the engine every upload goes through: photos, import ZIPs, town branding) in a fresh Python
process, so that the peak resident memory it reports (the peak ``VmHWM`` during the call minus the
resident size just before it, imports and the file's bytes already loaded) is the decoding's own. It prints per case: the file's
size, what the engine answered (kept size, or the refusal code), seconds, and the peak in MB.
"four at once" runs four threads cleaning the same file together, as four gunicorn threads would.

No database, no network; Django is set up with empty settings only for its translations.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))


@dataclass(frozen=True)
class Case:
    label: str
    fmt: str
    size: tuple[int, int]
    mode: str = "RGB"
    flat: bool = False  # one colour (compresses to almost nothing, like the 189 KB PNG)
    threads: int = 1


def build_cases(quick: bool) -> list[Case]:
    from tenants.images import MAX_PIXELS_BY_FORMAT

    def largest(fmt: str) -> tuple[int, int]:
        """The largest 4:3 picture the engine accepts in ``fmt``."""
        unit = int((MAX_PIXELS_BY_FORMAT[fmt] / 12) ** 0.5)
        return 4 * unit, 3 * unit

    cases = [
        Case("PNG 7,740 × 7,740 (the issue's file)", "PNG", (7740, 7740), flat=True),
        Case("PNG largest accepted, RGB", "PNG", largest("PNG")),
        Case("PNG largest accepted, RGBA", "PNG", largest("PNG"), mode="RGBA"),
    ]
    if quick:
        return cases
    return [
        *cases,
        Case("PNG largest accepted, RGBA, four at once", "PNG", largest("PNG"), mode="RGBA", threads=4),
        Case("WEBP 7,740 × 7,740", "WEBP", (7740, 7740), flat=True),
        Case("WEBP largest accepted, RGB", "WEBP", largest("WEBP")),
        Case("WEBP largest accepted, RGBA", "WEBP", largest("WEBP"), mode="RGBA"),
        Case("HEIF 24 MP (iPhone default, 5,712 × 4,284)", "HEIF", (5712, 4284)),
        Case("HEIF largest accepted", "HEIF", largest("HEIF")),
        Case("HEIF 48 MP (iPhone max, 8,064 × 6,048)", "HEIF", (8064, 6048)),
        Case("JPEG 7,740 × 7,740", "JPEG", (7740, 7740)),
        Case("JPEG largest accepted", "JPEG", largest("JPEG")),
        Case("JPEG largest accepted, four at once", "JPEG", largest("JPEG"), threads=4),
        Case("JPEG 20,000 × 3,000 (panorama)", "JPEG", (20_000, 3_000)),
    ]


def write_case(case: Case, folder: Path) -> Path:
    from PIL import Image
    from pillow_heif import register_heif_opener

    register_heif_opener()
    if case.flat:
        image = Image.new(case.mode, case.size, (200, 120, 40, 200)[: len(case.mode)])
    else:
        # A smooth picture (gradients), so that the files stay under the 15 MB upload limit.
        horizontal = Image.linear_gradient("L").rotate(90).resize(case.size)
        vertical = Image.linear_gradient("L").resize(case.size)
        bands = [horizontal, vertical, Image.new("L", case.size, 90)]
        if case.mode == "RGBA":
            bands.append(vertical.transpose(Image.Transpose.FLIP_TOP_BOTTOM))
        image = Image.merge(case.mode, bands)
    path = folder / f"{case.fmt}-{case.size[0]}x{case.size[1]}-{case.mode}{'-flat' if case.flat else ''}.img"
    if not path.exists():
        options = {"quality": 90} if case.fmt in ("JPEG", "WEBP", "HEIF") else {}
        image.save(path, case.fmt, **options)
    return path


def _memory_kib(field: str) -> int:
    """VmRSS (resident now) or VmHWM (peak resident) of this process, in KiB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> None:
    # ru_maxrss would not do: Linux carries the parent's peak over fork and exec, and the parent has
    # just drawn pictures of hundreds of MB. Writing 5 to clear_refs resets VmHWM to the current RSS.
    Path("/proc/self/clear_refs").write_text("5")


def measure(path: Path, threads: int) -> dict[str, object]:
    """In this (fresh) process: clean the file ``threads`` times at once, report seconds and peak MB."""
    import django
    from django.conf import settings

    settings.configure(USE_I18N=True, LANGUAGE_CODE="fr", INSTALLED_APPS=[])
    django.setup()
    from django.core.exceptions import ValidationError
    from PIL import Image

    from tenants.images import clean_image

    warm = io.BytesIO()
    Image.new("RGB", (64, 64)).save(warm, "PNG")
    clean_image(warm)  # imports, codecs and translations loaded before the baseline
    data = path.read_bytes()
    results: list[str] = [""] * threads

    def work(index: int) -> None:
        try:
            kept = clean_image(io.BytesIO(data), size=len(data))
            results[index] = f"kept {kept.width} × {kept.height}"
        except ValidationError as refusal:
            results[index] = f"refused ({refusal.code})"

    _reset_peak()
    before = _memory_kib("VmRSS")
    started = time.perf_counter()
    workers = [threading.Thread(target=work, args=(index,)) for index in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - started
    peak_kib = _memory_kib("VmHWM") - before
    return {"result": sorted(set(results)), "seconds": seconds, "peak_mb": peak_kib / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="only the issue's PNG and the largest accepted PNGs")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.threads)))
        return

    from tenants.images import MAX_PIXELS_BY_FORMAT

    limits = ", ".join(f"{fmt} ≤ {pixels / 1e6:.0f} MP" for fmt, pixels in MAX_PIXELS_BY_FORMAT.items())
    print(f"limits: {limits} (JPEG decoded at reduced scale, the others at full size)")
    print(f"{'case':<46}{'pixels':>9}{'file':>10}  {'answer':<22}{'seconds':>8}{'peak MB':>9}")
    with tempfile.TemporaryDirectory(prefix="comptoir-bench-images-") as folder:
        for case in build_cases(args.quick):
            path = write_case(case, Path(folder))
            output = subprocess.run(
                [sys.executable, __file__, "--measure", str(path), "--threads", str(case.threads)],
                check=True,
                capture_output=True,
                text=True,
                cwd=PROJECT_ROOT,
            ).stdout
            figures = json.loads(output.strip().splitlines()[-1])
            megapixels = case.size[0] * case.size[1] / 1e6
            print(
                f"{case.label:<46}{megapixels:>7.1f}MP{path.stat().st_size / 1024:>8.0f}KB  "
                f"{', '.join(figures['result']):<22}{figures['seconds']:>8.2f}{figures['peak_mb']:>9.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
