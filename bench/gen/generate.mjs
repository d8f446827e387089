#!/usr/bin/env node
// Synthetic Quran Apps Directory data for the benchmarks: seeded, deterministic, valid.
//
//   node bench/gen/generate.mjs --apps N --out DIR [--seed S] [--envelope FILE] [--no-envelope]
//
// Writes a frontend in the real layout:
//   DIR/src/app/services/applicationsData.ts   `export const applicationsData = [...]` (quoted
//                                              keys, 4-space indent, as the real module) and
//                                              `export const categories = [...]` (unquoted keys,
//                                              SVG icons in template literals, trailing commas)
//   DIR/src/assets/i18n/en.json, ar.json       translations with appList.categories.<key>
//   DIR/package.json                           a frontend package.json (typescript ~5.5)
// and the apps.json envelope (default DIR/apps.json) that `qad-migrate extract` would write for
// that frontend, built with the npm package's JS API (loadFrontend's input shape + makeEnvelope).
//
// The same --apps and --seed always give byte-identical files. Shape and proportions follow the
// real data of 2025-03 (44 apps), measured, not copied: 1 developer per 1.3 apps, 2.5 categories
// per app (1-6, real histogram), 6.4 screenshots per language per app (3-10, real histogram),
// Arabic and English texts with the real length distributions (log-normal fitted to the real
// medians and means, capped below the column limits), empty store links and websites at the
// real rates (W110 warnings, as the real data has), no other defect. Zero errors in the core.

import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, "..", "..");

// ------------------------------------------------------------------------------------------
// Seeded randomness
// ------------------------------------------------------------------------------------------

/** mulberry32 over a 32-bit state seeded by a string hash. */
export function makeRng(seed) {
  let s = 0x9e3779b9;
  for (const ch of String(seed)) s = Math.imul(s ^ ch.codePointAt(0), 0x85ebca6b) >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (p) => next() < p,
    normal: () => {
      const u = 1 - next();
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    /** Log-normal with the given median and mean, clamped to [lo, hi]. */
    lognormal: (median, mean, lo, hi) => {
      const sigma = Math.sqrt(2 * Math.log(mean / median));
      const x = Math.round(median * Math.exp(sigma * rng.normal()));
      return Math.min(hi, Math.max(lo, x));
    },
    /** An index drawn from a histogram {value: weight}. */
    histogram: (h) => {
      const entries = Object.entries(h);
      const total = entries.reduce((s, [, w]) => s + w, 0);
      let r = next() * total;
      for (const [v, w] of entries) {
        r -= w;
        if (r < 0) return Number(v);
      }
      return Number(entries[entries.length - 1][0]);
    },
    hex: (n) => {
      let out = "";
      for (let i = 0; i < n; i++) out += "0123456789abcdef"[Math.floor(next() * 16)];
      return out;
    },
    digits: (n) => {
      let out = String(1 + Math.floor(next() * 9));
      for (let i = 1; i < n; i++) out += String(Math.floor(next() * 10));
      return out;
    },
  };
  return rng;
}

// ------------------------------------------------------------------------------------------
// Proportions measured on the real data (frontend-2025-03, 44 apps)
// ------------------------------------------------------------------------------------------

/** The directory's public image bucket: the Django backend's default R2_PUBLIC_URL. */
export const MEDIA_BASE_URL = "https://pub-e11717db663c469fb51c65995892b449.r2.dev";

export const REAL = {
  appsPerDeveloper: 1.3, // 44 apps, 33 developers
  // categories per app: how many apps had 1, 2, ... 6 (mean 2.48)
  categoriesPerApp: { 1: 11, 2: 15, 3: 9, 4: 5, 5: 3, 6: 1 },
  // screenshots per language per app (mean 6.4; 563 over 44 apps = 12.8 per app)
  screenshotsPerLanguage: { 3: 5, 4: 2, 5: 10, 6: 8, 7: 6, 8: 4, 9: 4, 10: 5 },
  // how often each category is used (popularity weights)
  categoryUse: {
    mushaf: 24, tafsir: 20, translations: 14, memorize: 12, tools: 9, riwayat: 7, audio: 7,
    recite: 5, kids: 5, accessibility: 3, tajweed: 3,
  },
  // [median, mean, min, max] in characters
  len: {
    nameAr: [11, 10.9, 3, 26],
    nameEn: [12, 13, 4, 30],
    shortAr: [29, 32.5, 12, 96],
    shortEn: [30, 34.5, 9, 96],
    descAr: [461, 772, 168, 3461],
    descEn: [518, 932, 127, 3604],
    devEn: [16, 21.1, 6, 66],
    devAr: [18, 20.2, 4, 44],
  },
  emptyRate: { website: 7 / 44, googlePlay: 5 / 44, appGallery: 27 / 44 },
  appStoreArabicSlug: 20 / 44,
  imageExt: { png: 30, jpeg: 12, jpg: 2 },
};

// The categories of the real export, in its order, with display names written for this
// generator (the keys are what app records use; "tools" is shown as "Other").
export const CATEGORIES = [
  { key: "mushaf", name: "Mushaf", en: "Mushaf", ar: "المصحف" },
  { key: "translations", name: "Translations", en: "Translation", ar: "الترجمات" },
  { key: "recite", name: "Recite", en: "Recite", ar: "التلاوة" },
  { key: "kids", name: "Kids", en: "Kids", ar: "الأطفال" },
  { key: "tafsir", name: "Tafsir", en: "Tafsir", ar: "التفسير" },
  { key: "riwayat", name: "Riwayat", en: "Riwayat", ar: "الروايات" },
  { key: "audio", name: "Audio", en: "Audio", ar: "الصوتيات" },
  { key: "memorize", name: "Memorize", en: "Memorize", ar: "الحفظ" },
  { key: "tajweed", name: "Tajweed", en: "Tajweed", ar: "التجويد" },
  { key: "accessibility", name: "Accessibility", en: "Accessibility", ar: "إتاحة الوصول" },
  { key: "tools", name: "Tools", en: "Other", ar: "أخرى" },
];

// ------------------------------------------------------------------------------------------
// Vocabulary (written for this generator)
// ------------------------------------------------------------------------------------------

const EN_WORDS = (
  "quran holy recitation recite reciters listen audio offline download verses surah ayah " +
  "tafsir translation translations meaning meanings word words memorize memorization review " +
  "daily plan reminder bookmark bookmarks search smart highlight reading read learn kids " +
  "children tajweed rules pronunciation mushaf pages page interface languages support users " +
  "features feature easy simple beautiful clear modern high quality voice repeat repeating " +
  "track progress khatma juz hizb night mode share notes favourite favourites library " +
  "explanation scholars sources authentic study students teachers lessons quiz test level " +
  "with and the for your of to in on a an many more all every from without internet free app"
).split(" ");
const EN_CAPS = (
  "Noor Huda Bayan Tilawa Hifz Itqan Furqan Rahma Sakina Iman Nur Mizan Sirat Wahj Basira " +
  "Quran Mushaf Tafsir Ayat Surah Tadabbur Tarteel Qari Hafiz Dhikr Amal Safa Marwa Falah"
).split(" ");
const EN_APP_NOUNS = "Quran Mushaf Reader Tafsir Player Teacher Companion Academy Guide Recitation Memorizer Kids".split(" ");
const EN_DEV_SUFFIX = "Foundation Studio Technologies Center Society Labs Software Association Institute Media".split(" ");
const EN_BULLETS = [
  "Listen to many reciters with verse repeat",
  "Word by word translation and meaning",
  "Download recitations to listen without internet",
  "Smart search in all verses",
  "Bookmarks and notes on verses",
  "Daily reading plan with reminders",
  "Night mode for comfortable reading",
  "Share verses as text or image",
];

const AR_WORDS = (
  "القرآن الكريم تلاوة تفسير ترجمة حفظ المصحف الآيات السور الاستماع القراء بدون إنترنت " +
  "تطبيق يوفر لك تجربة سهلة مميزة قراءة معاني الكلمات البحث العلامات المرجعية الأطفال " +
  "التجويد أحكام خطة يومية تذكير واجهة لغات متعددة مع في من على إلى ميزات جديدة الصوت " +
  "عالية الجودة مراجعة الورد الختمة الأجزاء الأحزاب الوضع الليلي مشاركة الملاحظات المفضلة " +
  "المكتبة الشرح العلماء المصادر الطلاب المعلمين الدروس اختبار المستوى كل جميع مجاني"
).split(" ");
const AR_APP_NOUNS = "مصحف تطبيق قارئ تفسير مشغل معلم رفيق أكاديمية دليل تلاوة حافظ".split(" ");
const AR_CAPS = "النور الهدى البيان التلاوة الحفظ الإتقان الفرقان الرحمة السكينة الإيمان الميزان الصراط البصيرة الفلاح".split(" ");
const AR_DEV_PREFIX = "مؤسسة مركز جمعية شركة معهد مجموعة".split(" ");
const AR_BULLETS = [
  "الاستماع إلى عدد كبير من القراء مع تكرار الآية",
  "ترجمة ومعاني الكلمات كلمة بكلمة",
  "تحميل التلاوات للاستماع بدون إنترنت",
  "البحث الذكي في جميع الآيات",
  "العلامات المرجعية والملاحظات على الآيات",
  "خطة قراءة يومية مع التذكير",
  "الوضع الليلي لقراءة مريحة",
  "مشاركة الآيات نصا أو صورة",
];
const AR_DIGITS = "٠١٢٣٤٥٦٧٨٩";
const arabicNumber = (n) => String(n).replace(/\d/g, (d) => AR_DIGITS[Number(d)]);

/** Words from `words` until the text would pass `length` characters (at least one word). */
function words(rng, list, length, capitalise = false) {
  let out = "";
  while (true) {
    let w = rng.pick(list);
    if (capitalise && out === "") w = w[0].toUpperCase() + w.slice(1);
    const next = out === "" ? w : `${out} ${w}`;
    // Stop before passing the length unless that would leave the text much too short.
    if (next.length > length && out.length >= 0.75 * length) return out;
    out = next;
    if (out.length >= length) return out;
  }
}

/** A description of about `length` characters: a lead paragraph, then "- " feature lines. */
function description(rng, length, lang) {
  const list = lang === "ar" ? AR_WORDS : EN_WORDS;
  const bullets = lang === "ar" ? AR_BULLETS : EN_BULLETS;
  const heading = lang === "ar" ? "المميزات:" : "Features:";
  const lead = Math.max(60, Math.round(length * (0.35 + 0.3 * rng.next())));
  let out = words(rng, list, lead, lang === "en");
  out += lang === "ar" ? "." : ".";
  if (length - out.length > 40) out += `\n${heading}`;
  while (length - out.length > 25) {
    const room = length - out.length - 3;
    const line = rng.chance(0.5) ? rng.pick(bullets) : words(rng, list, Math.min(room, rng.int(25, 90)), lang === "en");
    if (line.length > room) {
      out += `\n- ${words(rng, list, room, lang === "en")}`;
      break;
    }
    out += `\n- ${line}`;
  }
  return out;
}

const lenOf = (rng, [median, mean, lo, hi]) => rng.lognormal(median, mean, lo, hi);

// ------------------------------------------------------------------------------------------
// The data
// ------------------------------------------------------------------------------------------

function svgIcon(rng) {
  const target = rng.int(600, 1800);
  let d = `M${rng.int(2, 22)} ${rng.int(2, 22)}`;
  while (d.length < target - 230) {
    const c = rng.pick(["L", "C", "Q", "H", "V", "A"]);
    const n = () => (rng.int(0, 2400) / 100).toFixed(2);
    if (c === "C") d += `C${n()} ${n()} ${n()} ${n()} ${n()} ${n()}`;
    else if (c === "Q") d += `Q${n()} ${n()} ${n()} ${n()}`;
    else if (c === "A") d += `A${n()} ${n()} 0 0 1 ${n()} ${n()}`;
    else if (c === "H" || c === "V") d += `${c}${n()}`;
    else d += `L${n()} ${n()}`;
  }
  return (
    '<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24" fill="none">\n' +
    `      <path d="${d}Z" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round"/>\n` +
    "    </svg>"
  );
}

function pickCategories(rng, n) {
  const pool = Object.entries(REAL.categoryUse);
  const out = [];
  while (out.length < n) {
    const total = pool.reduce((s, [, w]) => s + w, 0);
    let r = rng.next() * total;
    let i = 0;
    for (; i < pool.length - 1; i++) {
      r -= pool[i][1];
      if (r < 0) break;
    }
    out.push(pool[i][0]);
    pool.splice(i, 1);
  }
  return out;
}

function makeDevelopers(rng, count) {
  const devs = [];
  for (let i = 0; i < count; i++) {
    const num = i + 1;
    const target = lenOf(rng, REAL.len.devEn);
    let base = rng.pick(EN_CAPS);
    while (base.length + 12 < target) base += ` ${rng.pick(EN_CAPS)}`;
    const nameEn = `${base} ${rng.pick(EN_DEV_SUFFIX)} ${num}`;
    let nameAr = `${rng.pick(AR_DEV_PREFIX)} ${rng.pick(AR_CAPS)}`;
    const targetAr = lenOf(rng, REAL.len.devAr);
    while (nameAr.length + 5 < targetAr) nameAr += ` ${rng.pick(AR_CAPS)}`;
    nameAr += ` ${arabicNumber(num)}`;
    const token = `${base.toLowerCase().replace(/[^a-z]+/g, "")}${num}`;
    const website = rng.chance(REAL.emptyRate.website) ? "" : `https://${token}.${rng.pick(["org", "com", "net", "sa", "app"])}`;
    devs.push({ nameEn, nameAr, website, token });
  }
  return devs;
}

/**
 * The source records: `{applicationsData, categories, i18n: {en, ar}}` (i18n as whole frontend
 * files) for `apps` apps.
 */
export function generate({ apps: n, seed = "qad-bench" }) {
  if (!Number.isInteger(n) || n < 1) throw new Error(`--apps must be a positive whole number; got ${n}`);
  const rng = makeRng(`${seed}/${n}`);
  // The images lie under the directory's real public bucket (the Django backend stores them as
  // paths relative to it, and qa-load's Django layout refuses others: E024). Until 2026-11-29 the
  // bucket name was random (`pub-<32 random hex>.r2.dev`, the same length); the draw is still made
  // so that every other value, and every size, stays what it was.
  rng.hex(32);
  const cdn = MEDIA_BASE_URL;

  const devCount = Math.max(1, Math.round(n / REAL.appsPerDeveloper));
  const developers = makeDevelopers(rng, devCount);
  // Every developer has one app; the rest go to a fifth of them (most developers have one app,
  // a few have several, as in the real data).
  const owners = developers.map((_, i) => i);
  const multi = Math.max(1, Math.round(devCount / 5));
  while (owners.length < n) owners.push(rng.int(0, multi - 1));
  for (let i = owners.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [owners[i], owners[j]] = [owners[j], owners[i]];
  }

  const applicationsData = [];
  for (let i = 0; i < n; i++) {
    const num = i + 1;
    const dev = developers[owners[i]];
    const nameTarget = lenOf(rng, REAL.len.nameEn);
    let nameEn = rng.pick(EN_CAPS);
    const suffix = ` ${num}`;
    while (nameEn.length + suffix.length + 4 < nameTarget) nameEn += ` ${rng.pick(EN_APP_NOUNS)}`;
    nameEn += suffix;
    let nameAr = rng.pick(AR_APP_NOUNS);
    const nameArTarget = lenOf(rng, REAL.len.nameAr);
    while (nameAr.length + 3 < nameArTarget) nameAr += ` ${rng.pick(AR_CAPS)}`;
    nameAr += ` ${arabicNumber(num)}`;
    const id = `${num}_${nameEn.replace(/ \d+$/, "")}`;
    const folder = `${cdn}/${id.replace(/ /g, "_")}`;
    const ext = ["png", "jpeg", "jpg"][rng.histogram({ 0: REAL.imageExt.png, 1: REAL.imageExt.jpeg, 2: REAL.imageExt.jpg })];
    const shots = rng.histogram(REAL.screenshotsPerLanguage);
    const shotsEn = rng.chance(1 / 44) ? Math.max(3, shots - 1) : shots;
    const pad = (k) => String(k).padStart(2, "0");
    const appToken = nameEn.toLowerCase().replace(/[^a-z0-9]+/g, "_");
    const arabicSlug = rng.chance(REAL.appStoreArabicSlug);
    const storeSlug = arabicSlug ? encodeURIComponent(nameAr.replace(/ /g, "-")) : appToken.replace(/_/g, "-");
    const rating = Math.min(5, Math.max(3.5, Math.round((4.55 + 0.35 * rng.normal()) * 10) / 10));

    applicationsData.push({
      id,
      Name_Ar: nameAr,
      Name_En: nameEn,
      Short_Description_Ar: words(rng, AR_WORDS, lenOf(rng, REAL.len.shortAr)),
      Short_Description_En: words(rng, EN_WORDS, lenOf(rng, REAL.len.shortEn), true),
      Description_Ar: description(rng, lenOf(rng, REAL.len.descAr), "ar"),
      Description_En: description(rng, lenOf(rng, REAL.len.descEn), "en"),
      status: "Done",
      sort: num,
      Apps_Avg_Rating: rating,
      categories: pickCategories(rng, rng.histogram(REAL.categoriesPerApp)),
      screenshots_ar: Array.from({ length: shots }, (_, k) => `${folder}/${pad(k + 1)}_screenshots_ar.${ext}`),
      screenshots_en: Array.from({ length: shotsEn }, (_, k) => `${folder}/${pad(k + 1)}_screenshots_en.${ext}`),
      mainImage_ar: `${folder}/cover_photo_ar.${ext}`,
      mainImage_en: `${folder}/cover_photo_en.${ext}`,
      applicationIcon: `${folder}/app_icon.png`,
      Developer_Logo: `${folder}/developer_logo.png`,
      Developer_Name_En: dev.nameEn,
      Developer_Name_Ar: dev.nameAr,
      Developer_Website: dev.website,
      Google_Play_Link: rng.chance(REAL.emptyRate.googlePlay) ? "" : `https://play.google.com/store/apps/details?id=com.${dev.token}.${appToken}`,
      AppStore_Link: `https://apps.apple.com/sa/app/${storeSlug}/id${rng.digits(rng.chance(0.7) ? 10 : 9)}`,
      App_Gallery_Link: rng.chance(REAL.emptyRate.appGallery) ? "" : `https://appgallery.huawei.com/app/C${rng.digits(9)}`,
    });
  }

  const categories = CATEGORIES.map((c) => ({ name: c.name, icon: svgIcon(rng) }));
  return { applicationsData, categories, i18n: i18nFiles() };
}

/** Whole frontend translation files (the parts the migrator reads, plus some others). */
export function i18nFiles() {
  const cats = (lang) => {
    const o = lang === "en"
      ? { all: "All", "main-title": "Quran Apps Directory", title: "Categories" }
      : { all: "الكل", "main-title": "دليل التطبيقات القرآنية", title: "التصنيفات" };
    for (const c of CATEGORIES) o[c.key] = c[lang];
    return o;
  };
  const en = {
    common: { back: "Back", submit: "Submit", loading: "Loading..." },
    header: { title: "Quran Apps Directory", home: "Home", about: "About", contact: "Contact Us", language: { ar: "العربية", en: "English" } },
    appList: { search: { placeholder: "Search apps..." }, categories: cats("en"), apps: { title: "Apps List", sort: "Sort by rating" } },
    appDetail: { description: "Description", developer: "Developer", screenshots: "Screenshots", readMore: "Read More", readLess: "Read Less" },
  };
  const ar = {
    common: { back: "رجوع", submit: "إرسال", loading: "جار التحميل..." },
    header: { title: "دليل التطبيقات القرآنية", home: "الرئيسية", about: "عن الدليل", contact: "تواصل معنا", language: { ar: "العربية", en: "English" } },
    appList: { search: { placeholder: "ابحث عن تطبيق..." }, categories: cats("ar"), apps: { title: "قائمة التطبيقات", sort: "ترتيب حسب التقييم" } },
    appDetail: { description: "الوصف", developer: "المطور", screenshots: "لقطات الشاشة", readMore: "المزيد", readLess: "أقل" },
  };
  return { en, ar };
}

// ------------------------------------------------------------------------------------------
// Writing the frontend
// ------------------------------------------------------------------------------------------

const indent = (text, by) => text.replace(/\n/g, `\n${by}`);

/** The TypeScript module, in the real module's style. */
export function moduleText({ applicationsData, categories }) {
  const parts = ["export const applicationsData = [\n"];
  applicationsData.forEach((app, i) => {
    parts.push(`    ${indent(JSON.stringify(app, null, 4), "    ")}${i + 1 < applicationsData.length ? "," : ""}\n`);
  });
  parts.push("]\n\n// categories definition\nexport const categories = [\n");
  for (const c of categories) {
    if (c.icon.includes("`") || c.icon.includes("${")) throw new Error("icon cannot go in a template literal");
    parts.push(`  {\n    name: ${JSON.stringify(c.name)},\n    icon: \`${c.icon}\`,\n  },\n`);
  }
  parts.push("];\n");
  return parts.join("");
}

export const MODULE_PATH = "src/app/services/applicationsData.ts";

const PACKAGE_JSON = {
  name: "quran-apps-directory-synthetic",
  private: true,
  description: "Synthetic Quran Apps Directory frontend made by qad-migrate's bench/gen/generate.mjs",
  scripts: { build: "ng build" },
  devDependencies: { typescript: "~5.5.0" },
};

/**
 * Writes the frontend to `dir` and returns `{input, moduleBytes, moduleFile}` where `input` is
 * what the npm package's loadFrontend builds for it.
 */
export function writeFrontend(dir, data) {
  const moduleFile = path.join(dir, MODULE_PATH);
  const i18nDir = path.join(dir, "src", "assets", "i18n");
  fs.mkdirSync(path.dirname(moduleFile), { recursive: true });
  fs.mkdirSync(i18nDir, { recursive: true });
  const moduleBytes = Buffer.from(moduleText(data), "utf8");
  fs.writeFileSync(moduleFile, moduleBytes);
  fs.writeFileSync(path.join(i18nDir, "en.json"), `${JSON.stringify(data.i18n.en, null, 2)}\n`);
  fs.writeFileSync(path.join(i18nDir, "ar.json"), `${JSON.stringify(data.i18n.ar, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, "package.json"), `${JSON.stringify(PACKAGE_JSON, null, 2)}\n`);
  return { moduleBytes, moduleFile };
}

/** The npm package's JS API (needs npm/dist/wasm built). */
export function npmApi() {
  const require = createRequire(import.meta.url);
  return require(path.join(repoRoot, "npm", "lib", "index.js"));
}

/** The apps.json text for the data, as `qad-migrate extract` writes it. */
export function envelopeFor(api, data, moduleBytes) {
  const input = {
    applicationsData: data.applicationsData,
    categories: data.categories,
    i18n: api.i18nFromFrontendFiles(data.i18n.en, data.i18n.ar),
    source: { module: MODULE_PATH, sha256: crypto.createHash("sha256").update(moduleBytes).digest("hex") },
    options: { categoryAliases: {} },
  };
  return { input, text: api.envelopeText(api.makeEnvelope(input)) };
}

function parseArgs(argv) {
  const opts = { seed: "qad-bench", envelope: undefined, writeEnvelope: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--apps") opts.apps = Number(val());
    else if (a === "--seed") opts.seed = val();
    else if (a === "--out") opts.out = val();
    else if (a === "--envelope") opts.envelope = val();
    else if (a === "--no-envelope") opts.writeEnvelope = false;
    else if (a === "--help" || a === "-h") opts.help = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return opts;
}

function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`generate: ${e.message}\n`);
    return 2;
  }
  if (opts.help || !opts.apps || !opts.out) {
    process.stderr.write("usage: node bench/gen/generate.mjs --apps N --out DIR [--seed S] [--envelope FILE] [--no-envelope]\n");
    return opts.help ? 0 : 2;
  }
  const data = generate({ apps: opts.apps, seed: opts.seed });
  const { moduleBytes, moduleFile } = writeFrontend(opts.out, data);
  let summary = `${moduleFile} (${moduleBytes.length} bytes)`;
  if (opts.writeEnvelope) {
    const api = npmApi();
    const { input, text } = envelopeFor(api, data, moduleBytes);
    const report = api.validate(input);
    if (report.errors > 0) {
      process.stderr.write(api.renderReport(report, "text"));
      process.stderr.write(`generate: the generated data has ${report.errors} error(s): a generator bug\n`);
      return 1;
    }
    const file = opts.envelope ?? path.join(opts.out, "apps.json");
    fs.writeFileSync(file, text);
    summary += `, ${file} (${Buffer.byteLength(text)} bytes); core: 0 errors, ${report.warnings} warning(s)`;
  }
  process.stderr.write(`generate: ${opts.apps} apps (seed ${JSON.stringify(opts.seed)}): ${summary}\n`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main();
}
