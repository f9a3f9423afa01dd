"""Simulation reports and slot example reports as JUnit XML, for CI test-report viewers.

The shape follows the Apache Ant JUnit schema (``testsuites`` of ``testsuite`` with
``package`` and ``id``, each with ``properties``, ``testcase`` elements, ``system-out`` and
``system-err``). One ``testsuite`` per simulation suite, one ``testcase`` per case:
- ``failed`` -> ``<failure type="failed">`` with every reason;
- ``misconfigured`` -> ``<error type="misconfigured">`` (the suite or bot is wrong, not
  the answer), ``timed_out`` -> ``<error type="timed_out">``;
- the pass rate, its threshold and the flow coverage go into ``properties``.
Slot examples (``cogctl test``, ``render_examples``): one ``testsuite`` per slot, one
``testcase`` per example; a failing example of a failing slot is a ``<failure
type="extraction">``, one its slot's ``minExampleRate`` tolerates is ``<skipped>``.
Pure: no I/O; the caller writes the text.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from reconciler.core import simulations
from reconciler.manifests import examples

# Characters XML 1.0 cannot carry at all, even escaped; a bot's answer may contain them.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _suite(
    report: simulations.SuiteReport, index: int, *, timestamp: str, hostname: str
) -> ET.Element:
    counts = report.counts()
    element = ET.Element("testsuite", {
        "package": report.address.replace("/", "."),
        "id": str(index),
        "name": report.address,
        "timestamp": timestamp,
        "hostname": hostname,
        "tests": str(len(report.cases)),
        "failures": str(counts["failed"]),
        "errors": str(counts["misconfigured"] + counts["timed_out"]),
        "skipped": "0",
        "time": f"{report.seconds:.3f}",
    })
    properties = ET.SubElement(element, "properties")
    coverage = report.coverage
    for name, value in (
        ("botId", report.bot_id),
        ("passRate", f"{report.pass_rate:.4f}"),
        ("minPassRate", f"{report.min_pass_rate:.4f}"),
        ("passed", str(report.passed).lower()),
        ("coverage.share", f"{coverage.share:.4f}"),
        ("coverage.missing", ",".join(coverage.missing)),
        ("coverage.measured", str(coverage.measured).lower()),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": value})
    for case in report.cases:
        element.append(_case(case, classname=report.address.replace("/", ".")))
    ET.SubElement(element, "system-out").text = ""
    ET.SubElement(element, "system-err").text = ""
    return element


def _case(case: simulations.CaseResult, *, classname: str) -> ET.Element:
    element = ET.Element("testcase", {
        "name": case.id, "classname": classname, "time": f"{case.seconds:.3f}",
    })
    status = case.status
    if status is simulations.CaseStatus.PASSED:
        return element
    tag = "failure" if status is simulations.CaseStatus.FAILED else "error"
    detail = ET.SubElement(element, tag, {
        "type": status.value,
        "message": _clean(case.reasons[0] if case.reasons else status.value),
    })
    detail.text = _clean("\n".join(case.reasons))
    return element


def render(
    reports: Sequence[simulations.SuiteReport],
    *,
    timestamp: dt.datetime,
    hostname: str = "localhost",
) -> str:
    """The JUnit XML document for ``reports`` (UTF-8 text with an XML declaration)."""
    stamp = timestamp.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    root = ET.Element("testsuites")
    for index, report in enumerate(reports):
        root.append(_suite(report, index, timestamp=stamp, hostname=hostname or "localhost"))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _example_suite(
    result: examples.SlotResult, index: int, *, timestamp: str, hostname: str
) -> ET.Element:
    classname = result.address.replace("/", ".")
    failing = [o for o in result.outcomes if not o.passed]
    element = ET.Element("testsuite", {
        "package": classname,
        "id": str(index),
        "name": result.address,
        "timestamp": timestamp,
        "hostname": hostname,
        "tests": str(result.total),
        "failures": "0" if result.passed else str(len(failing)),
        "errors": "0",
        "skipped": str(len(failing)) if result.passed else "0",
        "time": "0.000",
    })
    properties = ET.SubElement(element, "properties")
    for name, value in (
        ("file", result.file),
        ("passRate", f"{result.rate:.4f}"),
        ("minExampleRate", f"{result.min_rate:.4f}"),
        ("passed", str(result.passed).lower()),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": _clean(value)})
    for number, outcome in enumerate(result.outcomes):
        case = ET.SubElement(element, "testcase", {
            "name": _clean(f"examples[{number}] {outcome.text}"), "classname": classname,
            "time": "0.000",
        })
        if outcome.passed:
            continue
        reason = _clean(examples.describe(outcome))
        if result.passed:
            ET.SubElement(case, "skipped", {
                "message": f"{reason} (tolerated: verify.minExampleRate {result.min_rate:g})"
            })
        else:
            ET.SubElement(case, "failure", {"type": "extraction", "message": reason}).text = reason
    ET.SubElement(element, "system-out").text = ""
    ET.SubElement(element, "system-err").text = ""
    return element


def render_examples(
    report: examples.ExampleReport, *, timestamp: dt.datetime, hostname: str = "localhost"
) -> str:
    """The JUnit XML document of ``cogctl test`` (only slots that have examples)."""
    stamp = timestamp.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    root = ET.Element("testsuites")
    tested = [s for s in report.slots if s.total]
    for index, result in enumerate(tested):
        root.append(_example_suite(result, index, timestamp=stamp,
                                   hostname=hostname or "localhost"))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
