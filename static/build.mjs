// Builds the NHS.UK frontend into static/vendor/nhsuk/ (gitignored) from node_modules.
//
// Run with `npm run build` (plain Node 20, no other dependencies). The folder is removed and
// created fresh each time, so it only ever holds what this script copies:
//
//   static/vendor/nhsuk/nhsuk-frontend.min.css   (+ .map) asset URLs made relative
//   static/vendor/nhsuk/nhsuk-frontend.min.js    (+ .map) an ES module exporting initAll
//   static/vendor/nhsuk/assets/                  favicons, icons, manifest.json
//   static/vendor/nhsuk/VERSION                  the nhsuk-frontend version copied
//
// The source maps are copied as well because the built files name them in a sourceMappingURL
// comment, and Django's manifest storage (collectstatic) fails on a referenced file that is missing.

import { cp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const staticDir = path.dirname(fileURLToPath(import.meta.url));
const projectDir = path.dirname(staticDir);
const packageDir = path.join(projectDir, "node_modules", "nhsuk-frontend");
const distDir = path.join(packageDir, "dist", "nhsuk");
const outDir = path.join(staticDir, "vendor", "nhsuk");

async function main() {
  const pkg = JSON.parse(await readFile(path.join(packageDir, "package.json"), "utf8"));

  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });

  // CSS: the package points its images at the site root (url(/assets/images/...)). Ours live
  // next to the stylesheet, so make those URLs relative to it. Absolute http(s) URLs (the
  // Frutiger fonts on assets.nhs.uk) are left alone.
  const css = await readFile(path.join(distDir, "nhsuk-frontend.min.css"), "utf8");
  const rewritten = css.replace(
    /url\(\s*(["']?)\/assets\//g,
    (_match, quote) => `url(${quote}assets/`,
  );
  if (/url\(\s*["']?\/assets\//.test(rewritten)) {
    throw new Error("nhsuk-frontend.min.css still has root-relative /assets/ URLs");
  }
  await writeFile(path.join(outDir, "nhsuk-frontend.min.css"), rewritten);

  await cp(path.join(distDir, "nhsuk-frontend.min.css.map"), path.join(outDir, "nhsuk-frontend.min.css.map"));
  await cp(path.join(distDir, "nhsuk-frontend.min.js"), path.join(outDir, "nhsuk-frontend.min.js"));
  await cp(path.join(distDir, "nhsuk-frontend.min.js.map"), path.join(outDir, "nhsuk-frontend.min.js.map"));
  await cp(path.join(distDir, "assets"), path.join(outDir, "assets"), { recursive: true });

  await writeFile(path.join(outDir, "VERSION"), `${pkg.version}\n`);

  console.log(`nhsuk-frontend ${pkg.version} built into ${path.relative(projectDir, outDir)}/`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
