"""The evaluation report (评标报告): facts, digest, HTML, PDF, signatures, publicity draft (pure: no I/O
beyond reading a font file).

What the report is
------------------
``build_report(room, evaluation, tender, members, bidders)`` (document.py) takes the room's state once
the ranking is published (phase ``report`` or ``signed``), the platform's
:class:`~evaluation.scoring.ScoringResult` and the facts the service knows (:class:`~.facts.TenderFacts`,
:class:`~.facts.MemberFacts` and :class:`~.facts.BidderFacts` by code), and returns a
:class:`~.document.Report`:

``facts``   a JSON-able dict (strings, ints, booleans, null; every Decimal as a string) holding
            everything the report says: the tender, the committee (with each member's public key and
            key id, and who was replaced for avoidance), the bidders and their opened prices, the
            criteria, every qualification and preliminary verdict with its reason, the bidders out
            and why, every member's score per bidder and criterion with its history (each value the
            member gave, and the chair's reason when it was given after the sheet was returned),
            the returns, the anomalies with their confirmation reason or ``unexplained``, the
            committee scores, the benchmark and price figures, the totals, the ranking with the
            tie-break statement, and the candidates (the first three ranked). (facts.py)
``digest``  ``sha256(canonical_json(facts))`` in lowercase hex: what every member signs. (facts.py)
``html``    the report in Chinese (template ``evaluation/report.html``), showing the digest. (html.py)
``pdf``     the same in PDF (A4, reportlab), with the digest on every page. (pdf.py, fonts.py)

HTML and PDF are renderings of ``facts`` (through the labels of view.py): anyone holding the facts can
recompute the digest, and the signatures never change it (they are over the digest, and are listed on
a signature page rendered by :func:`~.signatures.signature_page`). publicity.py drafts the
candidate-publicity notice from the facts.

Worked example: see tests/evaluation/test_report.py, ``test_worked_example``.
"""
