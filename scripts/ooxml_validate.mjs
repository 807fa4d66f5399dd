// Validate .docx files with the Open XML SDK's validator (npm @ooxml-tools/validate), all in
// one Node process: starting its .NET runtime takes seconds, validating a letter does not.
//   node scripts/ooxml_validate.mjs PACKAGE_DIR FILE.docx...
// PACKAGE_DIR is where @ooxml-tools/validate is installed (node_modules/@ooxml-tools/validate).
// Prints {"FILE.docx": [errors...], ...} as JSON; exits 0 whatever it finds.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [packageDir, ...files] = process.argv.slice(2);
const { default: validate } = await import(
  pathToFileURL(join(packageDir, "dist", "npm", "index.js")).href
);
const found = {};
for (const file of files) {
  found[file] = await validate(new Uint8Array(await readFile(file)), "docx", "Microsoft365");
}
// The .NET runtime keeps the process alive after the work is done: leave once written.
process.stdout.write(JSON.stringify(found), () => process.exit(0));
