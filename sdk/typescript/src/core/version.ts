declare const __LOOM_SDK_VERSION__: string | undefined;

/** Replaced by the bundler with package.json's version; tests run from source see 'dev'. */
export const LIB_VERSION: string =
  typeof __LOOM_SDK_VERSION__ === 'string' ? __LOOM_SDK_VERSION__ : 'dev';
