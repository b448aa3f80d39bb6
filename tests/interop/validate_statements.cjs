// Judges xAPI statements with Learning Locker's validator (@learninglocker/xapi-validation).
// Usage: node validate_statements.cjs < statements   (a JSON array, or one statement per line)
// Prints one JSON line per statement: {"index": i, "valid": bool, "errors": [{kind, path, detail}]}.
const fs = require("fs");
const validate = require("@learninglocker/xapi-validation").default;

function flatten(warnings) {
  const out = [];
  for (const w of warnings) {
    if (Array.isArray(w.warnings)) {
      out.push(...flatten(w.warnings));
      continue;
    }
    const detail = w.keys ? `keys ${w.keys.join(",")}` : w.type ? `type ${w.type.name}` : "";
    out.push({ kind: w.constructor.name, path: w.path.join("."), detail });
  }
  return out;
}

function parse(text) {
  const trimmed = text.trim();
  if (trimmed.startsWith("[")) return JSON.parse(trimmed);
  return trimmed.split("\n").filter((line) => line.trim()).map((line) => JSON.parse(line));
}

let statements;
try {
  statements = parse(fs.readFileSync(0, "utf8"));
} catch (e) {
  process.stderr.write(`input is not a JSON array or JSON lines: ${e.message}\n`);
  process.exit(2);
}
const lines = statements.map((statement, index) => {
  let errors;
  try {
    errors = flatten(validate(statement));
  } catch (e) {
    errors = [{ kind: "Exception", path: "statement", detail: String(e && e.message) }];
  }
  return JSON.stringify({ index, valid: errors.length === 0, errors });
});
process.stdout.write(lines.join("\n") + (lines.length ? "\n" : ""));
