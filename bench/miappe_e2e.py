#!/usr/bin/python3
"""End-to-end MIAPPE validation as a process (issue 10 targets).

Writes the 100,000-observation-unit submission of bench/miappe_bench (sites
with coordinates, so the country outlines are read) as TSV sheets, and the
same records filled into a copy of the official MIAPPE 1.2 spreadsheet
template (../shared/miappe-examples/templates, CC BY-SA 4.0; the copy stays
in a temporary folder), then times `fairtrace miappe validate` on each from
start to exit with /usr/bin/time: wall seconds and peak RSS, several runs.

Targets: TSV < 1 s wall and < 200 MiB peak RSS on a quiet machine; the
filled v1.2 template < 2 s.

Usage: bench/miappe_e2e.py [BUILD_DIR] [RUNS]   (default build, 5)
"""
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from xml.sax.saxutils import escape

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEMPLATE = os.path.join(ROOT, "..", "shared", "miappe-examples", "templates",
                        "MIAPPE_Spreadsheet_Template-v1.2.xlsx")
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
SHEET_OF = {  # TSV file -> template sheet
    "investigation.tsv": "Investigation", "study.tsv": "Study", "person.tsv": "Person",
    "biological_material.tsv": "Biological Material", "experimental_factor.tsv": "Experimental Factor",
    "observed_variable.tsv": "Observed Variable", "observation_unit.tsv": "Observation Unit",
    "event.tsv": "Event",
}


def column_name(i):
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def fill_template(tsv_dir, out_path, inline=False):
    """Copies the template with each sheet's data rows written after its header row.

    Text goes to the shared-strings part, as Excel, LibreOffice and Google Sheets
    write it; with inline=True into the cells themselves (inline strings, the
    larger worksheet XML some generators write)."""
    src = zipfile.ZipFile(TEMPLATE)
    shared = []
    if "xl/sharedStrings.xml" in src.namelist():
        for si in ET.fromstring(src.read("xl/sharedStrings.xml")).findall("m:si", NS):
            shared.append("".join(t.text or "" for t in si.iter("{%s}t" % NS["m"])))
    wb = ET.fromstring(src.read("xl/workbook.xml"))
    rels = {r.get("Id"): r.get("Target") for r in ET.fromstring(src.read("xl/_rels/workbook.xml.rels"))}
    part_of = {}
    for s in wb.find("m:sheets", NS):
        part_of[s.get("name")] = "xl/" + rels[s.get("{%s}id" % NS["r"])].lstrip("/").replace("xl/", "")
    replaced = {}
    index = {}  # shared string -> its index, appended after the template's own
    added = []
    def cell(ref, n, value):
        if inline:
            return "<c r=\"%s%d\" t=\"inlineStr\"><is><t>%s</t></is></c>" % (ref, n, escape(value))
        if value not in index:
            index[value] = len(shared) + len(added)
            added.append(value)
        return "<c r=\"%s%d\" t=\"s\"><v>%d</v></c>" % (ref, n, index[value])
    for tsv, sheet in SHEET_OF.items():
        part = part_of[sheet]
        xml = src.read(part).decode("utf-8")
        # The header row's columns, by codename.
        header_xml = re.search(r"<row [^>]*r=\"1\"[^>]*>.*?</row>", xml, re.S).group(0)
        columns = {}
        for ref, attrs, body in re.findall(r"<c r=\"([A-Z]+)1\"([^>]*)>(.*?)</c>", header_xml, re.S):
            v = re.search(r"<v>(.*?)</v>", body)
            text = shared[int(v.group(1))] if v and 't="s"' in attrs else (v.group(1) if v else "")
            columns[text] = ref
        with open(os.path.join(tsv_dir, tsv), encoding="utf-8") as f:
            lines = f.read().rstrip("\n").split("\n")
        names = lines[0].split("\t")
        rows = [header_xml]
        for n, line in enumerate(lines[1:], start=2):
            cells = []
            for name, value in zip(names, line.split("\t")):
                if value and name in columns:
                    cells.append((columns[name], value))
            cells.sort(key=lambda c: (len(c[0]), c[0]))
            rows.append("<row r=\"%d\">%s</row>" % (n, "".join(cell(c, n, v) for c, v in cells)))
        start = xml.index("<sheetData")
        end = xml.index("</sheetData>") + len("</sheetData>") if "</sheetData>" in xml else xml.index("/>", start) + 2
        xml = xml[:start] + "<sheetData>" + "".join(rows) + "</sheetData>" + xml[end:]
        xml = re.sub(r"<dimension [^>]*/>", "", xml)  # as LibreOffice may write it: none
        replaced[part] = xml.encode("utf-8")
    if added:
        sst = src.read("xl/sharedStrings.xml").decode("utf-8")
        total = len(shared) + len(added)
        sst = re.sub(r'count="\d+"', 'count="%d"' % total, sst, count=1)
        sst = re.sub(r'uniqueCount="\d+"', 'uniqueCount="%d"' % total, sst, count=1)
        tail = "".join("<si><t xml:space=\"preserve\">%s</t></si>" % escape(v) for v in added)
        replaced["xl/sharedStrings.xml"] = sst.replace("</sst>", tail + "</sst>").encode("utf-8")
    with zipfile.ZipFile(out_path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            out.writestr(item.filename, replaced.get(item.filename, src.read(item.filename)))


def time_runs(cli, target, runs):
    walls, rss = [], []
    for _ in range(runs):
        p = subprocess.run(["/usr/bin/time", "-f", "%e %M", cli, "miappe", "validate", target],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall, kib = p.stderr.strip().splitlines()[-1].split()
        walls.append(float(wall))
        rss.append(int(kib) / 1024)
        exit_code = p.returncode
    return walls, rss, exit_code


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    cli = os.path.join(build, "clients", "fairtrace")
    work = tempfile.mkdtemp(prefix="fairtrace-miappe-e2e-")
    try:
        tsv = os.path.join(work, "tsv")
        os.mkdir(tsv)
        subprocess.run([os.path.join(build, "bench", "miappe_bench"), "--write", tsv], check=True)
        book = os.path.join(work, "filled-v1.2.xlsx")
        fill_template(tsv, book)
        inline = os.path.join(work, "filled-v1.2-inline.xlsx")
        fill_template(tsv, inline, inline=True)
        size = sum(os.path.getsize(os.path.join(tsv, f)) for f in os.listdir(tsv))
        print("submission: 100,000 observation units; TSV %.1f MB, filled v1.2 template %.1f MB "
              "(inline strings: %.1f MB)" % (size / 1e6, os.path.getsize(book) / 1e6, os.path.getsize(inline) / 1e6))
        for label, target, limit in (("TSV sheets", tsv, 1.0), ("filled v1.2 template", book, 2.0),
                                     ("  inline strings", inline, 2.0)):
            walls, rss, code = time_runs(cli, target, runs)
            print("%-22s wall min %.2f s, median %.2f s, max %.2f s (target < %.0f s); peak RSS max %.0f MiB; exit %d"
                  % (label, min(walls), statistics.median(walls), max(walls), limit, max(rss), code))
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
