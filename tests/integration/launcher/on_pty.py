#!/usr/bin/env python3
"""Runs a command on a new pseudo-terminal, as a user at a terminal would.

Usage: on_pty.py [PROMPT=ANSWER...] -- CMD [ARG...]
Each ANSWER (and a newline) is typed once its PROMPT has appeared in the output since the
last answer, in order. Everything the terminal shows (the program's output and the echo of
what was typed) goes to stdout, raw; the exit status is the command's (128+N for signal N),
or 124 when it does not end within 60 s.
"""
import os
import pty
import select
import sys
import time

args = sys.argv[1:]
split = args.index("--")
answers = [a.split("=", 1) for a in args[:split]]
cmd = args[split + 1:]

pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)

seen = b""
shown = bytearray()
deadline = time.monotonic() + 60
while True:
    left = deadline - time.monotonic()
    if left <= 0:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        sys.stdout.buffer.write(bytes(shown))
        sys.exit(124)
    ready, _, _ = select.select([fd], [], [], left)
    if not ready:
        continue
    try:
        data = os.read(fd, 65536)
    except OSError:  # EIO: the last holder of the terminal closed it
        data = b""
    if not data:
        break
    shown += data
    seen += data
    if answers and answers[0][0].encode() in seen:
        os.write(fd, answers.pop(0)[1].encode() + b"\n")
        seen = b""

_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(bytes(shown))
sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
