import { describe, expect, it } from 'vitest';
import { autoplayRefused, initials, sharedMedia, videoFit } from './callDisplay.ts';

describe('autoplayRefused', () => {
  it('reads only NotAllowedError as the browser refusing sound', () => {
    expect(autoplayRefused(new DOMException('play() needs a gesture', 'NotAllowedError'))).toBe(true);
    // A stream replaced while play() waited: not a refusal, the remote video keeps its sound.
    expect(autoplayRefused(new DOMException('The play() request was interrupted', 'AbortError'))).toBe(false);
    expect(autoplayRefused(new DOMException('no supported source', 'NotSupportedError'))).toBe(false);
    expect(autoplayRefused(new Error('other'))).toBe(false);
    expect(autoplayRefused(undefined)).toBe(false);
  });
});

describe('videoFit', () => {
  it('shows a landscape camera whole on a portrait phone, fills with a portrait one', () => {
    // iPhone 13's stage (390 × 664) and a 640 × 480 webcam: cover would lose ~44 % of its width.
    expect(videoFit(640, 480, 390, 664)).toBe('contain');
    expect(videoFit(480, 640, 390, 664)).toBe('cover');
    // A desktop's landscape stage: a landscape picture fills it, a phone's portrait one is whole.
    expect(videoFit(640, 480, 928, 800)).toBe('cover');
    expect(videoFit(480, 640, 928, 800)).toBe('contain');
    // Nothing known yet (no frame): fill.
    expect(videoFit(0, 0, 390, 664)).toBe('cover');
  });
});

describe('initials', () => {
  it('takes the first and last names, not the title', () => {
    expect(initials('Dr Anna Martin')).toBe('AM');
    expect(initials('Dr. Test')).toBe('T');
    expect(initials('  chloé   bernard ')).toBe('CB');
    expect(initials('Élodie')).toBe('É');
    expect(initials('')).toBe('•');
    expect(initials(null)).toBe('•');
  });
});

it('sharedMedia: the device check’s choice', () => {
  expect(sharedMedia({ camera: true, microphone: true })).toBe('full');
  expect(sharedMedia({ camera: false, microphone: true })).toBe('audio');
  expect(sharedMedia({ camera: false, microphone: false })).toBe('none');
});
