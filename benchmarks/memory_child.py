"""Parse one large message and report peak RSS (run in a fresh process by run.py)."""

import json
import resource
import sys


def rss_mb() -> float:
    """Peak RSS of this process image (VmHWM); ru_maxrss would include the parent's peak before exec."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    from helpdesk.mail.parsing import parse_mail

    start = rss_mb()
    with open(sys.argv[1], "rb") as handle:
        raw = handle.read()
    loaded = rss_mb()
    mail = parse_mail(raw)
    peak = rss_mb()
    print(json.dumps({"size_mb": len(raw) / 2**20, "rss_start_mb": start, "rss_loaded_mb": loaded,
                      "rss_peak_mb": peak, "attachments": len(mail.attachments)}))


if __name__ == "__main__":
    main()
