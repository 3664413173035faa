import { Properties } from '../core/types';

/** What the page says about where the event happened; empty outside a browser. */
export function pageProperties(): Properties {
  if (typeof window === 'undefined' || typeof document === 'undefined') {
    return {};
  }

  const { location } = window;
  return {
    $current_url: location.href,
    $host: location.host,
    $pathname: location.pathname,
    $referrer: document.referrer || '$direct',
    $screen_width: window.screen?.width,
    $screen_height: window.screen?.height,
    $viewport_width: window.innerWidth,
    $viewport_height: window.innerHeight,
  };
}
