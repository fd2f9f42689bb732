"""pyvips and Pillow behind the bench workers' protocol (see bench/src/worker.rs):
    python peers.py worker LIB              batches as JSON lines on stdin, one answer line each
    python peers.py cold LIB JOB INPUT OUT  one op, then exit (cold start and peak RSS)
LIB is pyvips, pillow or pillow-draft (Pillow with draft(): JPEG decoded at 1/2, 1/4 or 1/8 scale
when that is still large enough). One thread each: VIPS_CONCURRENCY=1 is set by the bench.
"""
import io
import json
import os
import sys
import time


def pyvips_jobs():
    import pyvips

    pyvips.cache_set_max(0)

    def t1(data):
        # thumbnail_buffer: libvips' shrink-on-load, then lanczos3; keeps the aspect ratio.
        return [("t1-720.jpeg", pyvips.Image.thumbnail_buffer(data, 720, height=588).jpegsave_buffer(Q=80))]

    def t2(data):
        return [
            (f"t2-{s}.jpeg", pyvips.Image.thumbnail_buffer(data, s, height=s, crop="centre").jpegsave_buffer(Q=80))
            for s in (456, 200, 75)
        ]

    def t3(data):
        return [("t3-720.png", pyvips.Image.thumbnail_buffer(data, 720, height=540).pngsave_buffer())]

    return {"t1": t1, "t2": t2, "t3": t3}


def pillow_jobs(draft):
    from PIL import Image, ImageOps

    def open_(data, size):
        image = Image.open(io.BytesIO(data))
        if draft and image.format == "JPEG":
            image.draft("RGB", size)
        return image

    def encode(image, fmt, **options):
        buffer = io.BytesIO()
        image.save(buffer, fmt, **options)
        return buffer.getvalue()

    def t1(data):
        image = open_(data, (720, 588)).convert("RGB")
        image.thumbnail((720, 588), Image.Resampling.LANCZOS, reducing_gap=None)
        return [("t1-720.jpeg", encode(image, "JPEG", quality=80))]

    def t2(data):
        # Decoded once (as an expert would), cropped and resized three times.
        image = open_(data, (456, 456)).convert("RGB")
        return [
            (f"t2-{s}.jpeg", encode(ImageOps.fit(image, (s, s), Image.Resampling.LANCZOS), "JPEG", quality=80))
            for s in (456, 200, 75)
        ]

    def t3(data):
        # Pillow resizes RGBA with premultiplied alpha.
        image = open_(data, (720, 540))
        image.thumbnail((720, 540), Image.Resampling.LANCZOS, reducing_gap=None)
        return [("t3-720.png", encode(image, "PNG"))]

    return {"t1": t1, "t2": t2, "t3": t3}


def jobs_for(lib):
    if lib == "pyvips":
        return pyvips_jobs()
    if lib in ("pillow", "pillow-draft"):
        return pillow_jobs(lib == "pillow-draft")
    raise SystemExit(f"unknown library {lib}")


def save(directory, outputs):
    os.makedirs(directory, exist_ok=True)
    files = []
    for name, data in outputs:
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)
        files.append({"name": name, "bytes": len(data)})
    return files


def main():
    mode, lib, *args = sys.argv[1:]
    jobs = jobs_for(lib)
    if mode == "cold":
        job, source, out = args
        with open(source, "rb") as f:
            save(out, jobs[job](f.read()))
        return
    inputs = {}
    for line in sys.stdin:
        try:
            batch = json.loads(line)
            job = jobs[batch["job"]]
            if batch["input"] not in inputs:
                with open(batch["input"], "rb") as f:
                    inputs[batch["input"]] = f.read()
            data = inputs[batch["input"]]
            wall, last = [], []
            for _ in range(batch["ops"]):
                start = time.perf_counter()
                last = job(data)
                wall.append((time.perf_counter() - start) * 1e3)
            answer = {"wallMs": wall, "outputs": save(batch["out"], last)}
        except Exception as e:  # noqa: BLE001 - the orchestrator reports it
            answer = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
