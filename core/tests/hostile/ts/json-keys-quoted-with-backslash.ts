// A hostile-input case for the npm loader (see ../cases.json).
export const applicationsData = [
  {
    id: "1_A",
    Name_Ar: "تطبيق ألفا",
    Name_En: "Alpha",
    Short_Description_Ar: "وصف قصير",
    Short_Description_En: "A short description",
    Description_Ar: "وصف طويل للتطبيق",
    Description_En: "A long description of the app",
    status: "Done",
    sort: 1\,
    Apps_Avg_Rating: 4.5,
    categories: ["mushaf"],
    screenshots_ar: ["https://cdn.example.org/a/01_screenshots_ar.png"],
    screenshots_en: ["https://cdn.example.org/a/01_screenshots_en.png"],
    mainImage_ar: "https://cdn.example.org/a/cover_ar.png",
    mainImage_en: "https://cdn.example.org/a/cover_en.png",
    applicationIcon: "https://cdn.example.org/a/icon.png",
    Developer_Logo: "https://cdn.example.org/a/logo.png",
    Developer_Name_En: "Example Labs",
    Developer_Name_Ar: "مختبرات المثال",
    Developer_Website: "https://example.org",
    Google_Play_Link: "https://play.google.com/store/apps/details?id=org.example.a",
    AppStore_Link: "https://apps.apple.com/app/id1",
    App_Gallery_Link: "https://appgallery.huawei.com/app/C1",
  },
];

export const categories = [
  {
    name: "Mushaf",
    icon: `<svg viewBox="0 0 1 1"><path d="M0 0h1v1H0z"/></svg>`,
  },
];
