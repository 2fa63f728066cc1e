"""What uploading music costs a render request in the web API, before the render is queued.

    python bench/web_music.py [--repeats N]

`POST /api/renders` (FastAPI's TestClient, in-process) with a short script and: no music; a 30 s MP3
intro (about 0.5 MB); a 110 s stereo WAV bed (19 MB, near the 20 MB limit); all three (intro, bed,
outro). The time is from the POST to the 202: reading the form, storing each upload under the
request's private folder, the check (script, voices, and each music file decoded and measured, as a
render would, in a child process) and the copy into the job's folder. The queue here only records the
job, so no render runs meanwhile. Prints the medians and their ratio to the request without music.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from fastapi.testclient import TestClient  # noqa: E402

from podrender.runtime import ffmpeg  # noqa: E402
from podrender.web.app import create_app  # noqa: E402
from podrender.web.jobs import JobFiles, JobQueue, JobStatus, RenderRequest, save_request  # noqa: E402

SCRIPT = "Music Check\n\nIris: What grows best in the shade?\n\nOwen: Ferns, mostly.\n"


class RecordingQueue(JobQueue):
    """Saves each request into a job folder (as the real queue does, music copied in) and runs nothing."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def submit(self, request: RenderRequest, owner: str = "") -> str:
        job_id = secrets.token_urlsafe(16)
        folder = self.root / job_id
        folder.mkdir(parents=True)
        save_request(folder, request)
        return job_id

    def status(self, job_id: str) -> JobStatus | None:
        return JobStatus(job_id, "queued")

    def files(self, job_id: str) -> JobFiles | None:
        return None

    def jobs(self, limit: int = 50, owner: str | None = None) -> list[JobStatus]:
        return []


def make(path: Path, lavfi: str, *args: str) -> bytes:
    cmd = [ffmpeg().path, "-v", "error", "-y", "-f", "lavfi", "-i", lavfi, *args, str(path)]
    subprocess.run(cmd, check=True)
    return path.read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        intro = make(folder / "intro.mp3", "sine=frequency=440:duration=30", "-b:a", "128k")
        bed = make(folder / "bed.wav", "sine=frequency=220:duration=110", "-ac", "2", "-ar", "44100")
        outro = make(folder / "outro.ogg", "sine=frequency=660:duration=20")
        cases = {
            "no music": {},
            f"intro MP3 30 s ({len(intro) / 1e6:.1f} MB)": {"intro": ("intro.mp3", intro)},
            f"bed WAV 110 s ({len(bed) / 1e6:.1f} MB)": {"bed": ("bed.wav", bed)},
            "intro + bed + outro": {
                "intro": ("intro.mp3", intro), "bed": ("bed.wav", bed), "outro": ("outro.ogg", outro),
            },
        }  # fmt: skip
        app = create_app(folder / "out", queue=RecordingQueue(folder / "jobs"), default_voices="")
        headers = {"Origin": "http://127.0.0.1"}
        times: dict[str, list[float]] = {name: [] for name in cases}
        with TestClient(app, base_url="http://127.0.0.1", headers=headers) as client:
            client.post("/api/renders", data={"script": SCRIPT})  # warm: the voice list, the fork server
            for _ in range(args.repeats):
                for name, files in cases.items():  # interleaved, so drift hits every case alike
                    start = time.perf_counter()
                    response = client.post("/api/renders", data={"script": SCRIPT}, files=files or None)
                    times[name].append(time.perf_counter() - start)
                    assert response.status_code == 202, response.text
        base = statistics.median(times["no music"])
        print(f"POST /api/renders to 202, median of {args.repeats}:")
        for name, spans in times.items():
            median = statistics.median(spans)
            print(f"  {name:28s} {median * 1000:8.1f} ms   x{median / base:5.2f}")


if __name__ == "__main__":
    main()
