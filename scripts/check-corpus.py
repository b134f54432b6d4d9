#!/usr/bin/env python3
"""Checks labelled corpus files (../shared/eval/LABELS.md format). Usage: check-corpus.py FILE..."""
import json, sys, collections
INTENTS = {"report", "question", "notice", "chat", "spam"}
CATS = {"elevator","water","power","gas","heating","fire_safety","sanitation","pests","parking","noise",
        "facilities","greenery","security","dispute","welfare","pets","suggestion","other"}
URG = {"emergency", "urgent", "normal"}
KEYS = ["id","text","group_building","intent","category","urgency","building","unit","room"]
bad = 0; ids = set(); stats = collections.Counter(); cats = collections.Counter(); texts = set()
for path in sys.argv[1:]:
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        if not line.strip(): continue
        where = f"{path}:{n}"
        try: r = json.loads(line)
        except Exception as e: print(where, "not JSON:", e); bad += 1; continue
        errs = []
        if list(r.keys()) != KEYS: errs.append(f"keys must be exactly {KEYS} in that order")
        if r.get("id") in ids: errs.append("duplicate id")
        ids.add(r.get("id"))
        t = r.get("text")
        if not isinstance(t, str) or not t.strip(): errs.append("empty text")
        elif t in texts: errs.append("duplicate text")
        texts.add(t)
        i = r.get("intent")
        if i not in INTENTS: errs.append("bad intent")
        for k in ("group_building","building","unit","room"):
            v = r.get(k)
            if v is not None and (not isinstance(v, str) or not v or v != v.strip()): errs.append(f"{k} must be null or a non-empty string")
        for k in ("building","unit","room"):
            v = r.get(k)
            if isinstance(v, str) and any(c in v for c in "号楼栋幢座单元室层零一二三四五六七八九十"): errs.append(f"{k} not normalised: {v}")
        if i == "report":
            if r.get("category") not in CATS: errs.append("report needs a category")
            if r.get("urgency") not in URG: errs.append("report needs an urgency")
            stats[r.get("urgency")] += 1; cats[r.get("category")] += 1
        else:
            for k in ("category","urgency","building","unit","room"):
                if r.get(k) is not None: errs.append(f"non-report must have {k} null")
        stats[i] += 1
        if errs: bad += 1; print(where, "; ".join(errs))
print("lines:", len(ids), dict(stats)); print("categories:", dict(cats))
sys.exit(1 if bad else 0)
