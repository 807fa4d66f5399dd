"""The practice checks: wording a letter must not use (`wording`), and what each letter
must commit to (`records`, reading each kind's commitments from `letterkit.kinds`)."""
