// Quran Apps Directory — demo data for qad-migrate (made up; not the real catalogue).
// It has the real module's shape: unquoted and quoted keys, trailing commas, template-literal
// SVG icons, a type, `as const` — and a few of the real data's defects, on purpose.

export interface DirectoryApp {
  id: string;
  Name_Ar: string;
  Name_En: string;
  categories: readonly string[];
  [field: string]: unknown;
}

export const applicationsData: DirectoryApp[] = [
    {
        "id": "1_Noor Reader",
        "Name_Ar": "نور القارئ",
        Name_En: "Noor Reader",
        "Short_Description_Ar": "مصحف رقمي بخط واضح",
        "Short_Description_En": "A clear digital mushaf",
        "Description_Ar": "مصحف رقمي بخط واضح.\nتطبيق تجريبي لعرض أداة الترحيل.",
        "Description_En": `A clear digital mushaf.
A demo app that shows the migration tool at work.`,
        "status": "Done",
        "sort": 1,
        "Apps_Avg_Rating": 4.8,
        "categories": ["mushaf", "audio"],
        "screenshots_ar": [
            "https://cdn.qad-demo.example/1_Noor Reader/01_screenshots_ar.png",
            "https://cdn.qad-demo.example/1_Noor Reader/02_screenshots_ar.png",
            "https://cdn.qad-demo.example/1_Noor Reader/03_screenshots_ar.png",
        ],
        "screenshots_en": [
            "https://cdn.qad-demo.example/1_Noor Reader/01_screenshots_en.png",
            "https://cdn.qad-demo.example/1_Noor Reader/02_screenshots_en.png",
            "https://cdn.qad-demo.example/1_Noor Reader/03_screenshots_en.png",
        ],
        "mainImage_ar": "https://cdn.qad-demo.example/1_Noor Reader/cover_photo_ar.png",
        "mainImage_en": "https://cdn.qad-demo.example/1_Noor Reader/cover_photo_en.png",
        "applicationIcon": "https://cdn.qad-demo.example/1_Noor Reader/app_icon.png",
        "Developer_Logo": "https://cdn.qad-demo.example/1_Noor Reader/developer_logo.png",
        "Developer_Name_En": "Lumen Apps",
        "Developer_Name_Ar": "تطبيقات لومن",
        "Developer_Website": "https://lumenapps.example",
        "Google_Play_Link": "https://play.google.com/store/apps/details?id=example.noor",
        "AppStore_Link": "https://apps.apple.com/app/noor-reader/id1000000001",
        "App_Gallery_Link": "",
    },
    {
        "id": "2_Tafsir Pocket",
        "Name_Ar": "التفسير الميسر للجيب",
        Name_En: "Tafsir Pocket",
        "Short_Description_Ar": "تفسير مختصر لكل آية",
        "Short_Description_En": "A short tafsir for every ayah",
        "Description_Ar": "تفسير مختصر لكل آية.\nتطبيق تجريبي لعرض أداة الترحيل.",
        "Description_En": `A short tafsir for every ayah.
A demo app that shows the migration tool at work.`,
        "status": "Done",
        "sort": 2,
        "Apps_Avg_Rating": 4.6,
        "categories": ["tafsir"],
        "screenshots_ar": [
            "https://cdn.qad-demo.example/2_Tafsir Pocket/01_screenshots_ar.png",
            "https://cdn.qad-demo.example/2_Tafsir Pocket/02_screenshots_ar.png",
            "https://cdn.qad-demo.example/2_Tafsir Pocket/03_screenshots_ar.png",
            "https://cdn.qad-demo.example/2_Tafsir Pocket/04_screenshots_ar.png",
        ],
        "screenshots_en": [
            "https://cdn.qad-demo.example/2_Tafsir Pocket/01_screenshots_en.png",
            "https://cdn.qad-demo.example/2_Tafsir Pocket/02_screenshots_en.png",
            "https://cdn.qad-demo.example/2_Tafsir Pocket/03_screenshots_en.png",
            "https://cdn.qad-demo.example/2_Tafsir Pocket/04_screenshots_en.png",
        ],
        "mainImage_ar": "https://cdn.qad-demo.example/2_Tafsir Pocket/cover_photo_ar.png",
        "mainImage_en": "https://cdn.qad-demo.example/2_Tafsir Pocket/cover_photo_en.png",
        "applicationIcon": "https://cdn.qad-demo.example/2_Tafsir Pocket/app_icon.png",
        "Developer_Logo": "https://cdn.qad-demo.example/2_Tafsir Pocket/developer_logo.png",
        "Developer_Name_En": "Lumen Apps",
        "Developer_Name_Ar": "تطبيقات لومن",
        "Developer_Website": "https://www.lumenapps.example/ar",
        "Google_Play_Link": "https://play.google.com/store/apps/details?id=example.tafsir",
        "AppStore_Link": "https://apps.apple.com/app/tafsir-pocket/id1000000002",
        "App_Gallery_Link": "https://appgallery.huawei.com/app/C100000002",
    },
    {
        "id": "3_Little Huffaz",
        "Name_Ar": "الحفاظ الصغار",
        Name_En: "Little Huffaz",
        "Short_Description_Ar": "تحفيظ الأطفال بالألعاب",
        "Short_Description_En": "Memorisation games for children",
        "Description_Ar": "تحفيظ الأطفال بالألعاب.\nتطبيق تجريبي لعرض أداة الترحيل.",
        "Description_En": `Memorisation games for children.
A demo app that shows the migration tool at work.`,
        "status": "Done",
        "sort": 3,
        "Apps_Avg_Rating": 4.9,
        "categories": ["kids", "recite"],
        "screenshots_ar": [
            "https://cdn.qad-demo.example/3_Little Huffaz/01_screenshots_ar.png",
            "https://cdn.qad-demo.example/3_Little Huffaz/02_screenshots_ar.png",
            "https://cdn.qad-demo.example/3_Little Huffaz/03_screenshots_ar.png",
            "https://cdn.qad-demo.example/3_Little Huffaz/04_screenshots_ar.png",
            "https://cdn.qad-demo.example/3_Little Huffaz/05_screenshots_ar.png",
        ],
        "screenshots_en": [
            "https://cdn.qad-demo.example/3_Little Huffaz/01_screenshots_ar.png",
            "https://cdn.qad-demo.example/3_Little Huffaz/02_screenshots_ar.png",
            "https://cdn.qad-demo.example/3_Little Huffaz/03_screenshots_ar.png",
            "https://cdn.qad-demo.example/3_Little Huffaz/04_screenshots_ar.png",
            "https://cdn.qad-demo.example/3_Little Huffaz/05_screenshots_ar.png",
        ],
        "mainImage_ar": "https://cdn.qad-demo.example/3_Little Huffaz/cover_photo_ar.png",
        "mainImage_en": "https://cdn.qad-demo.example/3_Little Huffaz/cover_photo_en.png",
        "applicationIcon": "https://cdn.qad-demo.example/3_Little Huffaz/app_icon.png",
        "Developer_Logo": "https://cdn.qad-demo.example/3_Little Huffaz/developer_logo.png",
        "Developer_Name_En": "Bright Path Studio",
        "Developer_Name_Ar": "استوديو الدرب المضيء",
        "Developer_Website": "https://brightpath.example",
        "Google_Play_Link": "https://play.google.com/store/apps/details?id=example.huffaz",
        "AppStore_Link": "https://apps.apple.com/app/little-huffaz/id1000000003",
        "App_Gallery_Link": "",
    },
    {
        "id": "4_Tarteel Coach",
        "Name_Ar": "مدرب الترتيل",
        Name_En: "Tarteel Coach",
        "Short_Description_Ar": "تسميع بالذكاء الاصطناعي",
        "Short_Description_En": "Recite and get feedback",
        "Description_Ar": "تسميع بالذكاء الاصطناعي.\nتطبيق تجريبي لعرض أداة الترحيل.",
        "Description_En": `Recite and get feedback.
A demo app that shows the migration tool at work.`,
        "status": "Done",
        "sort": 4,
        "Apps_Avg_Rating": 4.4,
        "categories": ["recite", "tools"],
        "screenshots_ar": [
            "https://cdn.qad-demo.example/4_Tarteel Coach/01_screenshots_ar.png",
            "https://cdn.qad-demo.example/4_Tarteel Coach/02_screenshots_ar.png",
            "https://cdn.qad-demo.example/4_Tarteel Coach/03_screenshots_ar.png",
        ],
        "screenshots_en": [
            "https://cdn.qad-demo.example/4_Tarteel Coach/01_screenshots_en.png",
            "https://cdn.qad-demo.example/4_Tarteel Coach/02_screenshots_en.png",
            "https://cdn.qad-demo.example/4_Tarteel Coach/03_screenshots_en.png",
        ],
        "mainImage_ar": "https://cdn.qad-demo.example/4_Tarteel Coach/cover_photo_ar.png",
        "mainImage_en": "https://cdn.qad-demo.example/4_Tarteel Coach/cover_photo_en.png",
        "applicationIcon": "https://cdn.qad-demo.example/4_Tarteel Coach/app_icon.png",
        "Developer_Logo": "https://cdn.qad-demo.example/4_Tarteel Coach/developer_logo.png",
        "Developer_Name_En": "Bright Path Studios",
        "Developer_Name_Ar": "استوديو الدرب المضيء",
        "Developer_Website": "https://brightpath.example",
        "Google_Play_Link": "",
        "AppStore_Link": "https://apps.apple.com/app/tarteel-coach/id1000000004",
        "App_Gallery_Link": "",
    },
    {
        "id": "5_Quran Radio",
        "Name_Ar": "إذاعة القرآن",
        Name_En: "Quran Radio",
        "Short_Description_Ar": "بث مباشر للتلاوات",
        "Short_Description_En": "Live recitation radio",
        "Description_Ar": "بث مباشر للتلاوات.\nتطبيق تجريبي لعرض أداة الترحيل.",
        "Description_En": `Live recitation radio.
A demo app that shows the migration tool at work.`,
        "status": "Done",
        "sort": 5,
        "Apps_Avg_Rating": 4.2,
        "categories": ["audio"],
        "screenshots_ar": [
            "https://cdn.qad-demo.example/5_Quran Radio/01_screenshots_ar.png",
            "https://cdn.qad-demo.example/5_Quran Radio/02_screenshots_ar.png",
            "https://cdn.qad-demo.example/5_Quran Radio/03_screenshots_ar.png",
            "https://cdn.qad-demo.example/5_Quran Radio/04_screenshots_ar.png",
        ],
        "screenshots_en": [
            "https://cdn.qad-demo.example/5_Quran Radio/01_screenshots_en.png",
            "https://cdn.qad-demo.example/5_Quran Radio/02_screenshots_en.png",
            "https://cdn.qad-demo.example/5_Quran Radio/03_screenshots_en.png",
            "https://cdn.qad-demo.example/5_Quran Radio/04_screenshots_en.png",
        ],
        "mainImage_ar": "https://cdn.qad-demo.example/5_Quran Radio/cover_photo_ar.png",
        "mainImage_en": "https://cdn.qad-demo.example/5_Quran Radio/cover_photo_en.png",
        "applicationIcon": "https://cdn.qad-demo.example/5_Quran Radio/app_icon.png",
        "Developer_Logo": "https://cdn.qad-demo.example/5_Quran Radio/developer_logo.Not Found",
        "Developer_Name_En": "Sound of Revelation",
        "Developer_Name_Ar": "صوت الوحي",
        "Developer_Website": "",
        "Google_Play_Link": "https://play.google.com/store/apps/details?id=example.radio",
        "AppStore_Link": "https://apps.apple.com/app/quran-radio/id1000000005",
        "App_Gallery_Link": "https://appgallery.huawei.com/app/C100000005",
    },
    {
        "id": "6_Ayah Cards",
        "Name_Ar": "بطاقات الآيات",
        Name_En: "Ayah Cards",
        "Short_Description_Ar": "بطاقات يومية للتدبر",
        "Short_Description_En": "Daily cards for reflection",
        "Description_Ar": "بطاقات يومية للتدبر.\nتطبيق تجريبي لعرض أداة الترحيل.",
        "Description_En": `Daily cards for reflection.
A demo app that shows the migration tool at work.`,
        "status": "Done",
        "sort": 6,
        "Apps_Avg_Rating": 4.7,
        "categories": ["tools", "mushaf"],
        "screenshots_ar": [
            "https://cdn.qad-demo.example/6_Ayah Cards/01_screenshots_ar.png",
            "https://cdn.qad-demo.example/6_Ayah Cards/02_screenshots_ar.png",
            "https://cdn.qad-demo.example/6_Ayah Cards/03_screenshots_ar.png",
            "https://cdn.qad-demo.example/6_Ayah Cards/04_screenshots_ar.png",
            "https://cdn.qad-demo.example/6_Ayah Cards/05_screenshots_ar.png",
        ],
        "screenshots_en": [
            "https://cdn.qad-demo.example/6_Ayah Cards/01_screenshots_en.png",
            "https://cdn.qad-demo.example/6_Ayah Cards/02_screenshots_en.png",
            "https://cdn.qad-demo.example/6_Ayah Cards/03_screenshots_en.png",
            "https://cdn.qad-demo.example/6_Ayah Cards/04_screenshots_en.png",
            "https://cdn.qad-demo.example/6_Ayah Cards/05_screenshots_en.png",
        ],
        "mainImage_ar": "https://cdn.qad-demo.example/6_Ayah Cards/cover_photo_ar.png",
        "mainImage_en": "https://cdn.qad-demo.example/6_Ayah Cards/cover_photo_en.png",
        "applicationIcon": "https://cdn.qad-demo.example/6_Ayah Cards/app_icon.png",
        "Developer_Logo": "https://cdn.qad-demo.example/6_Ayah Cards/developer_logo.png",
        "Developer_Name_En": "Mishkat Lab",
        "Developer_Name_Ar": "مختبر مشكاة",
        "Developer_Website": "https://mishkat.example",
        "Google_Play_Link": "https://play.google.com/store/apps/details?id=example.cards",
        "AppStore_Link": "",
        "App_Gallery_Link": "",
    },
];

// categories definition
export const categories = [
    {
        name: "Mushaf",
        icon: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" stroke-width="1.5">
            <path d="M4 4h7v16H4zM13 4h7v16h-7z"/>
        </svg>`,
    },
    {
        name: "Tafsir",
        icon: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" stroke-width="1.5">
            <path d="M5 3h14v18H5z"/><path d="M8 8h8M8 12h8M8 16h5"/>
        </svg>`,
    },
    {
        name: "Recite",
        icon: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" stroke-width="1.5">
            <path d="M12 3a3 3 0 0 1 3 3v6a3 3 0 0 1-6 0V6a3 3 0 0 1 3-3z"/><path d="M5 11a7 7 0 0 0 14 0"/>
        </svg>`,
    },
    {
        name: "Kids",
        icon: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" stroke-width="1.5">
            <circle cx="12" cy="8" r="4"/><path d="M4 21c1-5 15-5 16 0"/>
        </svg>`,
    },
    {
        name: "Audio",
        icon: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" stroke-width="1.5">
            <path d="M4 10v4h4l5 4V6L8 10z"/><path d="M16 9a4 4 0 0 1 0 6"/>
        </svg>`,
    },
    {
        name: "Tools",
        icon: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" stroke-width="1.5">
            <path d="M14 6l4 4-8 8H6v-4z"/>
        </svg>`,
    },
] as const;
