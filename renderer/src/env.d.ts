// Asset imports handled by vite, and the preload's API on window (absent in a plain browser).
declare module '*.png' {
  const url: string;
  export default url;
}
declare module '*.css';
interface Window {
  nvg?: import('../../electron/shared/api.js').NvgApi;
}
