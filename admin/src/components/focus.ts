// After a navigation the new page's title takes the focus, so a screen reader announces where the
// admin is and keyboard users start at the top of the content.
let pending = false;

export function focusTitleOnNextPage(): void {
  pending = true;
}

export function takeTitleFocus(): boolean {
  const p = pending;
  pending = false;
  return p;
}
