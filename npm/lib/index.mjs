// ES module entry: the same implementation as the CommonJS entry (one WebAssembly instance).
import api from "./index.js";

export const {
  VERSION,
  EXIT_CODES,
  DEFAULT_MODULE,
  DEFAULT_I18N_DIR,
  LoadError,
  loadFrontend,
  validateFrontend,
  extract,
  validate,
  transform,
  renderReport,
  makeEnvelope,
  envelopeText,
  writeFileAtomic,
  parseAliases,
  parseIgnoreFields,
  parseLayout,
  parseTarget,
  i18nFromFrontendFiles,
  rules,
  rulesMarkdown,
  coreVersion,
} = api;

export default api;
