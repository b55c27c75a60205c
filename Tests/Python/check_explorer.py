"""Opens a report.html in headless Chromium (Selenium) and checks its explorer against results.json.

    python check_explorer.py REPORT_DIR [SCREENSHOT.png]

REPORT_DIR holds results.json and report.html. Checks, each printed as `ok …` or `FAIL …`, then one closing
line `explorer: N passed, M failed`:
1. the page loads from disk with no console error and asks for nothing over the network;
2. it has a table of contents whose links all land on headings, and no chart outside the page (data: URLs);
3. for every value of every control (image size, blocks, weight bits, activation bits, convention, …), the
   case shown is one that has that value, and its displayed totals (BitOps, MACs, parameters), the layer
   table's total and the chosen image's top-5 equal that case's numbers in results.json;
4. every image of the chooser shows its own top-5.
With SCREENSHOT, saves a picture of the explorer at laptop width. Exit status 0 when every check passed.
"""
import json
import os
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

report_dir = sys.argv[1]
screenshot = sys.argv[2] if len(sys.argv) > 2 else None
passed, failed = 0, 0


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok  ", what)
    else:
        failed += 1
        print("FAIL", what, detail)


with open(os.path.join(report_dir, "results.json")) as f:
    results = json.load(f)
by_id = {c["id"]: c for c in results["cases"]}

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1366,900",
          "--hide-scrollbars", "--force-device-scale-factor=1"):
    options.add_argument(a)
options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
driver.set_page_load_timeout(60)
try:
    t0 = time.time()
    driver.get("file://" + os.path.abspath(os.path.join(report_dir, "report.html")))
    check(driver.title.startswith("BitSweep report"), "the page loads from disk", driver.title)

    # 1. No console errors, no network.
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    check(not errors, "no console error", errors[:3])
    requests = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            url = msg["params"]["request"]["url"]
            if not url.startswith(("file:", "data:", "about:")):
                requests.append(url)
    check(not requests, "nothing is fetched over the network", requests[:3])

    # 2. Contents and figures.
    links = driver.find_elements(By.CSS_SELECTOR, "nav#contents a")
    targets = [l.get_attribute("href").split("#", 1)[1] for l in links]
    missing = [t for t in targets if not driver.find_elements(By.ID, t)]
    check(len(links) >= 5 and not missing, f"a table of contents of {len(links)} entries, each landing on its heading", missing)
    srcs = [i.get_attribute("src") for i in driver.find_elements(By.CSS_SELECTOR, "main img")]
    check(srcs and all(s.startswith("data:image/png;base64,") for s in srcs), f"all {len(srcs)} charts are inline",
          [s[:60] for s in srcs if not s.startswith("data:")][:2])
    wide = driver.execute_script(
        "return [...document.querySelectorAll('main table')].filter(t => t.closest('.table-wrap') === null).length")
    check(wide == 0, "every table scrolls inside its own box", wide)
    page_width = driver.execute_script("return document.documentElement.scrollWidth")
    check(page_width <= 1366, "the page does not scroll sideways at 1366 px", page_width)

    # 3. Every value of every control.
    def shown():
        text = driver.find_element(By.ID, "explorer-case").text
        short = text.split("(", 1)[1].split(")", 1)[0]
        matches = [c for i, c in by_id.items() if i.startswith(short)]
        return matches[0] if len(matches) == 1 else None

    def number(id):
        return int(driver.find_element(By.ID, id).text.replace(",", ""))

    def image_name():
        sel = driver.find_elements(By.CSS_SELECTOR, "select#explorer-image")
        return Select(sel[0]).first_selected_option.get_attribute("value") if sel else \
            driver.find_element(By.ID, "explorer-image").text

    def consistent(case):
        t = case["cost"]["totals"]
        ok = (number("explorer-total-bitops") == t["bitops"] and number("explorer-total-macs") == t["macs"]
              and number("explorer-total-params") == t["params"] and number("explorer-layers-total") == t["bitops"])
        rows = driver.find_elements(By.CSS_SELECTOR, "#explorer-layers tbody tr:not(.subtotal)")
        ok = ok and len(rows) == len(case["cost"]["layers"])
        ok = ok and [int(r.find_elements(By.TAG_NAME, "td")[6].text.replace(",", "")) for r in rows] == \
            [l["bitops"] for l in case["cost"]["layers"]]
        img = [i for i in case["images"] if i["file"] == image_name()]
        if img:
            top5 = [int(r.find_elements(By.TAG_NAME, "td")[1].text) for r in
                    driver.find_elements(By.CSS_SELECTOR, "#explorer-top5 tbody tr")]
            ok = ok and top5 == img[0]["top5"]
        return ok

    selects = driver.find_elements(By.CSS_SELECTOR, "#explorer-controls select")
    keys = [s.get_attribute("id")[len("explorer-"):] for s in selects if s.get_attribute("id") != "explorer-image"]
    check({"size", "blocks", "precision"} <= set(keys), "controls for image size, blocks and weight bits", keys)
    # Numeric and named settings are compared directly; a precision (a policy in results.json, a label on the
    # page) must name one policy, and different labels different policies.
    direct = {"size": ("size", int), "blocks": ("blocks", int), "convention": ("convention", str),
              "family": ("family", str), "quantization": ("quantization", str)}
    policy = {"precision": "weight_precision", "act": "act_precision"}
    bad, moves, seen = [], 0, {}
    for key in keys:
        sel = Select(driver.find_element(By.ID, "explorer-" + key))
        for value in [o.get_attribute("value") for o in sel.options]:
            sel.select_by_value(value)
            moves += 1
            case = shown()
            if case is None:
                bad.append((key, value, "no case shown"))
                continue
            if key in direct:
                name, conv = direct[key]
                if str(case["config"][name]) != str(conv(value)):
                    bad.append((key, value, "shows a case with " + str(case["config"][name])))
            if key in policy:
                seen.setdefault(key, {}).setdefault(value, set()).add(json.dumps(case["config"][policy[key]]["policy"], sort_keys=True))
            if not consistent(case):
                bad.append((key, value, "numbers differ from results.json for case " + case["id"][:8]))
            sel = Select(driver.find_element(By.ID, "explorer-" + key))
    for key, by_value in seen.items():
        policies = [p for ps in by_value.values() for p in ps]
        if any(len(ps) != 1 for ps in by_value.values()) or len(set(policies)) != len(policies):
            bad.append((key, "labels and policies do not match one to one", by_value))
    check(not bad and moves > 0, f"{moves} control moves: each shows a case with that value and its results.json numbers", bad[:3])

    images = driver.find_elements(By.CSS_SELECTOR, "select#explorer-image")
    if images:
        sel = Select(images[0])
        bad = []
        for value in [o.get_attribute("value") for o in sel.options]:
            sel.select_by_value(value)
            if not driver.find_element(By.ID, "explorer-image-title").text.endswith(value) or not consistent(shown()):
                bad.append(value)
        check(not bad, f"each of {len(sel.options)} images shows its own top-5", bad)

    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    check(not errors, "still no console error after every move", errors[:3])

    if screenshot:
        # The explorer at laptop width: controls, totals, chart, image and the first rows of the layer table.
        for key, pos in (("size", -1), ("blocks", -1), ("precision", -1)):
            found = driver.find_elements(By.CSS_SELECTOR, "select#explorer-" + key)
            if found:
                opts = Select(found[0]).options
                Select(found[0]).select_by_index(pos % len(opts))
        driver.execute_script("document.activeElement.blur()")
        driver.set_window_size(1280, 1000)
        section = driver.find_element(By.ID, "explorer-section")
        driver.execute_script("arguments[0].scrollIntoView()", section)
        section.screenshot(screenshot)
        print("screenshot:", screenshot)
    print(f"browser time: {time.time() - t0:.1f} s")
finally:
    driver.quit()

print(f"explorer: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
