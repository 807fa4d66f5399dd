// The docxtemplater anchor `speed.py` runs letterkit against, in one Node process:
//
//     NODE_PATH=<folder with docxtemplater and pizzip> node docxtemplater_loop.js TEMPLATES ROWS.csv OUT
//
// TEMPLATES holds resolution.<lang>.docx, docxtemplater templates speed.py makes from
// letterkit's own letters (each record value's text replaced by a {tag}; see
// `docxtemplater_template` in speed.py). For each CSV row: the template of the row's
// language, filled with the row's cells ({customer_name} is the cell of column
// customer.name; {customer_address__2} the second line of a cell of several lines), written
// to OUT/<reference>/resolution.<lang>.docx.
"use strict";

const fs = require("fs");
const path = require("path");
const PizZip = require("pizzip");
const Docxtemplater = require("docxtemplater");

// RFC 4180, as Python's csv module writes it: quoted cells may hold commas, quotes ("")
// and line breaks. Node has no CSV reader of its own.
function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c !== '"') {
        cell += c;
      } else if (text[i + 1] === '"') {
        cell += '"';
        i++;
      } else {
        quoted = false;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else {
      cell += c;
    }
  }
  if (cell !== "" || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

function main() {
  const [templateDir, csvPath, outDir] = process.argv.slice(2);
  const templates = {};
  for (const name of fs.readdirSync(templateDir)) {
    const match = /^resolution\.([\w-]+)\.docx$/.exec(name);
    if (match) templates[match[1]] = fs.readFileSync(path.join(templateDir, name));
  }
  const rows = parseCsv(fs.readFileSync(csvPath, "utf8").replace(/^\uFEFF/, ""));
  const tags = rows[0].map((column) => column.replace(/\W/g, "_"));
  let made = 0;
  for (const cells of rows.slice(1)) {
    if (cells.length === 1 && cells[0] === "") continue;
    const data = {};
    tags.forEach((tag, i) => {
      const value = cells[i] ?? "";
      data[tag] = value;
      value.split("\n").forEach((line, n) => {
        data[`${tag}__${n + 1}`] = line;
      });
    });
    const language = data.language || "en";
    if (!(language in templates)) throw new Error(`no template for language ${language}`);
    // A new zip and Docxtemplater per letter, as docxtemplater's documentation writes it:
    // render() fills the document in place.
    const doc = new Docxtemplater(new PizZip(templates[language]), {
      paragraphLoop: true,
      nullGetter: () => "",
    });
    doc.render(data);
    const folder = path.join(outDir, data.reference);
    fs.mkdirSync(folder, { recursive: true });
    const bytes = doc.getZip().generate({ type: "nodebuffer", compression: "DEFLATE" });
    fs.writeFileSync(path.join(folder, `resolution.${language}.docx`), bytes);
    made++;
  }
  console.log(`${made} letters`);
}

main();
