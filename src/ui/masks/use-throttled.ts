import { useEffect, useRef, useState } from 'react';

/**
 * `value`, but updated at most once per `intervalMs` and on an animation frame: snapshots can
 * arrive faster than is worth drawing on a real GPU, and the views redraw at a bounded rate.
 */
export function useThrottled<T>(value: T, intervalMs = 100): T {
  const [shown, setShown] = useState(value);
  const last = useRef(0);
  useEffect(() => {
    if (value === shown) return;
    const wait = Math.max(0, last.current + intervalMs - performance.now());
    let frame = 0;
    const timer = setTimeout(() => {
      frame = requestAnimationFrame(() => {
        last.current = performance.now();
        setShown(value);
      });
    }, wait);
    return () => {
      clearTimeout(timer);
      cancelAnimationFrame(frame);
    };
  }, [value, shown, intervalMs]);
  return shown;
}
