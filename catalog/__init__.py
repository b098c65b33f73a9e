"""The service-hall catalog (政务服务事项目录): items, 一件事 bundles, cases and their supervision.

Pure modules: codes, items (validation), pinyin, workdays, supervision, bundles, stats.
Use cases: service (departments, staff, items), browse (search, statistics), bundling, cases,
transfer (import/export). Web: api, pages, messages, templates/catalog. Also cli.
"""
