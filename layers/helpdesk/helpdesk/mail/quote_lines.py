"""The non-blank lines of a mail body, kept as positions into the text.

A 30 MB body of short lines would cost several times its size as a list of strings, and a body of blank
lines nothing but list slots; here each non-blank line costs twelve bytes and blank lines cost nothing.
Whether blank lines separate two non-blank ones is read from their line numbers.
"""

from __future__ import annotations

import re
from array import array

# From the first to the last visible character of a line; backtracking only crosses trailing blanks.
_CONTENT = re.compile(r"\S(?:[^\n]*\S)?")


class Lines:
    __slots__ = ("text", "numbers", "starts", "ends")

    def __init__(self, text: str) -> None:
        self.text = text
        self.numbers = array("I")  # 0-based line number of each non-blank line
        self.starts = array("I")  # where the line begins, leading blanks included
        self.ends = array("I")  # just after its last visible character
        line = position = 0
        for found in _CONTENT.finditer(text):
            start = found.start()
            line += text.count("\n", position, start)
            self.numbers.append(line)
            self.starts.append(text.rfind("\n", position, start) + 1 if line else 0)
            self.ends.append(found.end())
            position = found.end()

    def __len__(self) -> int:
        return len(self.numbers)

    def __getitem__(self, index: int) -> str:
        return self.text[self.starts[index] : self.ends[index]]

    def adjacent(self, index: int) -> bool:
        """Whether the line directly follows the previous non-blank line, with no blank line between."""
        return 0 < index < len(self.numbers) and self.numbers[index] == self.numbers[index - 1] + 1

    def joins_previous(self, index: int) -> bool:
        """Whether the text from the previous line to this one reads as the output would write it (at most one
        empty line between, no trailing blanks), so both can be copied as one slice."""
        if not 0 < index < len(self.numbers):
            return False
        gap = self.numbers[index] - self.numbers[index - 1]
        return gap <= 2 and self.ends[index - 1] + gap == self.starts[index]
