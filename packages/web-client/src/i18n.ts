// User-facing text in French and English. The language follows the browser, and can be switched.
const en = {
  appName: 'Visita',
  switchLanguage: 'Français',
  // patient
  patientTitle: 'Your video consultation',
  deviceCheck: 'Check your camera and microphone',
  cameraOk: 'Camera working',
  micLevel: 'Speak: the bar should move',
  yourName: 'Your name',
  joinWaitingRoom: 'Enter the waiting room',
  allowDevices: 'Please allow access to your camera and microphone.',
  deviceError: 'Your camera or microphone could not be started',
  retry: 'Try again',
  waitingTitle: 'You are in the waiting room',
  waitingPractitionerOnline: 'Your practitioner is online and will admit you shortly.',
  waitingPractitionerAway: 'Your practitioner is not connected yet. Please keep this page open.',
  linkInvalid: 'This consultation link is not valid. Ask your practice for a new one.',
  // doctor
  doctorTitle: 'Practitioner',
  email: 'Email',
  password: 'Password',
  logIn: 'Log in',
  logOut: 'Log out',
  newConsultation: 'New consultation',
  patientLink: 'Patient link',
  copy: 'Copy',
  copied: 'Copied',
  open: 'Open',
  consultations: 'Consultations',
  noPatientYet: 'No patient in the waiting room yet.',
  patientWaiting: (name: string) => `${name} is waiting`,
  aPatient: 'A patient',
  admit: 'Admit',
  // call
  connecting: 'Connecting…',
  mute: 'Mute',
  unmute: 'Unmute',
  cameraOff: 'Camera off',
  cameraOn: 'Camera on',
  hangUp: 'Hang up',
  tapForSound: 'Tap to turn on sound',
  waitingForVideo: 'Waiting for the other participant’s video…',
  ended: 'The consultation has ended.',
  mediaLost: 'The connection to the media server was lost.',
  back: 'Back',
  // states
  state_waiting: 'waiting',
  state_in_call: 'in call',
  state_ended: 'ended',
  // errors by code
  error: 'Something went wrong',
  err_UNAUTHENTICATED: 'Your session has expired or the link is not valid.',
  err_FORBIDDEN: 'You are not allowed to do this.',
  err_NOT_FOUND: 'This consultation does not exist.',
  err_INVALID_STATE: 'This is not possible at this stage of the consultation.',
  err_NO_MEDIA_CAPACITY: 'No media server is available right now. Please try again in a moment.',
  err_PROTOCOL_MISMATCH: 'Visita was updated: please reload the page.',
  err_TIMEOUT: 'The server did not answer in time.',
};

type Strings = typeof en;

const fr: Strings = {
  appName: 'Visita',
  switchLanguage: 'English',
  patientTitle: 'Votre téléconsultation',
  deviceCheck: 'Vérifiez votre caméra et votre micro',
  cameraOk: 'Caméra fonctionnelle',
  micLevel: 'Parlez : la barre doit bouger',
  yourName: 'Votre nom',
  joinWaitingRoom: 'Entrer en salle d’attente',
  allowDevices: 'Veuillez autoriser l’accès à votre caméra et à votre micro.',
  deviceError: 'Impossible de démarrer votre caméra ou votre micro',
  retry: 'Réessayer',
  waitingTitle: 'Vous êtes en salle d’attente',
  waitingPractitionerOnline: 'Votre praticien est en ligne et va vous faire entrer.',
  waitingPractitionerAway: 'Votre praticien n’est pas encore connecté. Gardez cette page ouverte.',
  linkInvalid: 'Ce lien de consultation n’est pas valide. Demandez-en un nouveau à votre cabinet.',
  doctorTitle: 'Praticien',
  email: 'E-mail',
  password: 'Mot de passe',
  logIn: 'Se connecter',
  logOut: 'Se déconnecter',
  newConsultation: 'Nouvelle consultation',
  patientLink: 'Lien patient',
  copy: 'Copier',
  copied: 'Copié',
  open: 'Ouvrir',
  consultations: 'Consultations',
  noPatientYet: 'Aucun patient en salle d’attente pour l’instant.',
  patientWaiting: (name: string) => `${name} attend`,
  aPatient: 'Un patient',
  admit: 'Faire entrer',
  connecting: 'Connexion…',
  mute: 'Couper le micro',
  unmute: 'Activer le micro',
  cameraOff: 'Couper la caméra',
  cameraOn: 'Activer la caméra',
  hangUp: 'Raccrocher',
  tapForSound: 'Touchez pour activer le son',
  waitingForVideo: 'En attente de la vidéo de l’autre participant…',
  ended: 'La consultation est terminée.',
  mediaLost: 'La connexion au serveur média a été perdue.',
  back: 'Retour',
  state_waiting: 'en attente',
  state_in_call: 'en consultation',
  state_ended: 'terminée',
  error: 'Une erreur est survenue',
  err_UNAUTHENTICATED: 'Votre session a expiré ou le lien n’est pas valide.',
  err_FORBIDDEN: 'Vous n’êtes pas autorisé à faire cela.',
  err_NOT_FOUND: 'Cette consultation n’existe pas.',
  err_INVALID_STATE: 'Impossible à ce stade de la consultation.',
  err_NO_MEDIA_CAPACITY: 'Aucun serveur média n’est disponible. Réessayez dans un instant.',
  err_PROTOCOL_MISMATCH: 'Visita a été mis à jour : rechargez la page.',
  err_TIMEOUT: 'Le serveur n’a pas répondu à temps.',
};

export type Lang = 'en' | 'fr';
export const strings: Record<Lang, Strings> = { en, fr };

export function initialLang(): Lang {
  const saved = localStorage.getItem('visita.lang');
  if (saved === 'en' || saved === 'fr') return saved;
  return navigator.language.toLowerCase().startsWith('fr') ? 'fr' : 'en';
}

/** The user-facing message for an error code (falls back to the generic one). */
export function errorText(t: Strings, code: string | undefined): string {
  const key = `err_${code ?? ''}` as keyof Strings;
  const v = t[key];
  return typeof v === 'string' ? v : t.error;
}

export type { Strings };
