"""Korean particles (은/는, 이/가, 을/를, 과/와) in the form the word before them asks for, in prompts and messages."""

from __future__ import annotations

# Korean particles that change with the word before them: (after a final consonant, after a vowel).
PARTICLES = {"은": ("은", "는"), "는": ("은", "는"), "이": ("이", "가"), "가": ("이", "가"),
             "을": ("을", "를"), "를": ("을", "를"), "과": ("과", "와"), "와": ("과", "와")}


def with_particle(word: str, particle: str) -> str:
    """Attach a Korean particle in the form the word's last syllable asks for: 자선총회는, 사회보험과는."""
    after_consonant, after_vowel = PARTICLES[particle]
    spoken = word.rstrip(")）]】 ")
    last = next((ch for ch in reversed(spoken) if ch.isalnum()), "")
    if "가" <= last <= "힣":
        has_final = (ord(last) - ord("가")) % 28 != 0
    else:
        # Digits and Latin letters as read aloud: 영 일 삼 육 칠 팔 end in a consonant, as do 엘 엠 엔 알.
        has_final = last in "013678" or last.upper() in "LMNR"
    return word + (after_consonant if has_final else after_vowel)
