export { loadConfig, importModule, SEARCH_PLACES } from './config-loader.js';
