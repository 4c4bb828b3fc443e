/** Common Norwegian names and street names (SSB's most frequent), for synthetic demo members. */

export const FEMALE_FIRST = [
  'Anne', 'Inger', 'Kari', 'Marit', 'Ingrid', 'Liv', 'Eva', 'Berit', 'Astrid', 'Bjørg', 'Hilde', 'Anna', 'Solveig', 'Marianne',
  'Randi', 'Ida', 'Nina', 'Maria', 'Elisabeth', 'Kristin', 'Bente', 'Heidi', 'Silje', 'Hanne', 'Gerd', 'Linda', 'Tone', 'Elin',
  'Anita', 'Wenche', 'Camilla', 'Ragnhild', 'Ellen', 'Karin', 'Nora', 'Emma', 'Sofie', 'Ingeborg', 'Sigrid', 'Åse', 'Guro',
  'Torill', 'Grete', 'Mette', 'Lene', 'Kjersti', 'Synnøve', 'Turid', 'Vigdis', 'Aud', 'Sissel', 'Gunn', 'Irene', 'Mona',
  'Trine', 'Hege', 'Stine', 'Julie', 'Thea', 'Maja', 'Aisha', 'Fatima', 'Agnieszka', 'Ewa', 'Sunniva', 'Live', 'Frøydis',
];

export const MALE_FIRST = [
  'Jan', 'Per', 'Bjørn', 'Ole', 'Lars', 'Kjell', 'Knut', 'Svein', 'Arne', 'Hans', 'Thomas', 'Geir', 'Odd', 'Terje', 'Tor',
  'Morten', 'Martin', 'John', 'Erik', 'Rune', 'Anders', 'Trond', 'Jon', 'Harald', 'Espen', 'Øyvind', 'Frode', 'Tore', 'Gunnar',
  'Andreas', 'Jørgen', 'Kristian', 'Einar', 'Nils', 'Helge', 'Rolf', 'Stian', 'Magnus', 'Henrik', 'Jonas', 'Sindre', 'Håkon',
  'Sigurd', 'Eirik', 'Ola', 'Leif', 'Åge', 'Ivar', 'Steinar', 'Roger', 'Dag', 'Tommy', 'Kenneth', 'Vidar', 'Halvor', 'Audun',
  'Even', 'Mathias', 'Emil', 'Tobias', 'Ali', 'Mohammad', 'Piotr', 'Tomasz', 'Ahmed', 'Jakob', 'Ådne', 'Torbjørn',
];

export const LAST = [
  'Hansen', 'Johansen', 'Olsen', 'Larsen', 'Andersen', 'Pedersen', 'Nilsen', 'Kristiansen', 'Jensen', 'Karlsen', 'Johnsen',
  'Pettersen', 'Eriksen', 'Berg', 'Haugen', 'Hagen', 'Johannessen', 'Andreassen', 'Jacobsen', 'Dahl', 'Jørgensen', 'Halvorsen',
  'Henriksen', 'Lund', 'Sørensen', 'Jakobsen', 'Moen', 'Gundersen', 'Iversen', 'Strand', 'Solberg', 'Svendsen', 'Eide',
  'Knutsen', 'Martinsen', 'Paulsen', 'Bakken', 'Kristoffersen', 'Mathisen', 'Lie', 'Amundsen', 'Nguyen', 'Rasmussen', 'Ali',
  'Lunde', 'Solheim', 'Berge', 'Moe', 'Nygård', 'Bakke', 'Kristensen', 'Fredriksen', 'Holm', 'Lien', 'Hauge', 'Christensen',
  'Andresen', 'Nielsen', 'Knudsen', 'Evensen', 'Sæther', 'Aas', 'Myhre', 'Hanssen', 'Ahmed', 'Haugland', 'Thomassen',
  'Sivertsen', 'Simonsen', 'Danielsen', 'Berntsen', 'Sandvik', 'Rønning', 'Arnesen', 'Antonsen', 'Næss', 'Vik', 'Haug',
  'Ellingsen', 'Thorsen', 'Edvardsen', 'Birkeland', 'Isaksen', 'Gulbrandsen', 'Ruud', 'Aasen', 'Strøm', 'Myklebust',
  'Tangen', 'Ødegård', 'Eliassen', 'Helland', 'Bøe', 'Jenssen', 'Aune', 'Mikkelsen', 'Tveit', 'Brekke', 'Abrahamsen',
  'Madsen', 'Kowalski', 'Nowak', 'Khan', 'Hussain', 'Grønli', 'Åsheim', 'Fjellheim', 'Sætre', 'Løvås',
];

export const STREETS = [
  'Storgata', 'Kirkegata', 'Skolegata', 'Parkveien', 'Industriveien', 'Fjordgata', 'Sjøgata', 'Nygata', 'Elvegata', 'Torggata',
  'Bjørkeveien', 'Granveien', 'Furuveien', 'Solbakken', 'Åsveien', 'Bakkeveien', 'Hagaveien', 'Stasjonsveien', 'Strandveien',
  'Kongens gate', 'Dronningens gate', 'Jernbanegata', 'Markveien', 'Lyngveien', 'Rosenvinge vei', 'Øvre Slottsgate',
  'Kvernhusveien', 'Fabrikkgata', 'Havnegata', 'Skogveien', 'Tunveien', 'Prestegårdsveien', 'Sentrumsvegen', 'Fjellvegen',
  'Kaigata', 'Løkkeveien', 'Grønnegata', 'Ringveien', 'Myrveien', 'Ekornveien',
];

export const EMPLOYER_STEMS = [
  'Nordfjord', 'Vestlandske', 'Trønder', 'Hålogaland', 'Østfold', 'Romerike', 'Sunnmøre', 'Glomma', 'Fjellvang', 'Havbruk',
  'Kystverk', 'Bergverk', 'Tinn', 'Mjøsa', 'Lofoten', 'Agder', 'Telemark', 'Hardanger', 'Namdal', 'Finnmark',
  'Stavanger', 'Drammen', 'Grenland', 'Salten', 'Valdres', 'Gudbrand', 'Ryfylke', 'Helgeland', 'Follo', 'Jæren',
];
export const EMPLOYER_KINDS = [
  'Mekaniske Verksted AS', 'Sykehusdrift HF', 'Kommunale Tjenester KF', 'Transport AS', 'Næringsmiddel AS', 'Renhold AS',
  'Bygg og Anlegg AS', 'Energi AS', 'Omsorg AS', 'Logistikk AS',
];
