#!/usr/bin/env python3
"""Probe agent for a VPC instance: ask a "what is my address" URL, record which address answers.

Standard library only and no f-strings (any python3 on the instance, old AMIs
included). Bounded in count and time and stops by
itself: at most COUNT requests, RATE per second, for at most DURATION seconds. Prints one
header line, then one line per request: ``seq ms source`` (ms since the start, on the
instance's clock; source ``-`` when the request failed or timed out), then an ``end`` line.

    whatismyip.py URL RATE COUNT DURATION TIMEOUT
"""

import sys
import threading
import time
import urllib.request

MAX_COUNT, MAX_DURATION, MAX_RATE = 900, 900.0, 20.0


def ask(url, timeout):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            text = answer.read(64).decode("ascii", "replace").strip()
    except Exception:
        return "-"
    return text.split()[0] if text and all(c in "0123456789." for c in text.split()[0]) else "-"


def main(argv):
    url = argv[1]
    rate = min(float(argv[2]), MAX_RATE)
    count = min(int(argv[3]), MAX_COUNT)
    duration = min(float(argv[4]), MAX_DURATION)
    timeout = min(float(argv[5]), 10.0)
    start_epoch, start = time.time(), time.monotonic()
    print(
        "start {:.3f} rate {:g} count {:d} duration {:g}".format(start_epoch, rate, count, duration)
    )
    sys.stdout.flush()
    lock = threading.Lock()
    threads = []

    def one(seq):
        source = ask(url, timeout)
        ms = int((time.monotonic() - start) * 1000)
        with lock:
            print("{:d} {:d} {}".format(seq, ms, source))

    for seq in range(count):
        due = start + seq / rate
        if due - start > duration:
            break
        time.sleep(max(0.0, due - time.monotonic()))
        t = threading.Thread(target=one, args=(seq,))
        t.daemon = True
        t.start()
        threads.append(t)
    for t in threads:
        t.join(timeout + 1)
    print("end sent {:d}".format(len(threads)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
