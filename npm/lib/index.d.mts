// Types of the qad-migrate JavaScript API for ES module consumers (the same API as the CommonJS entry).
export * from "./index.js";
import * as api from "./index.js";
export default api;
