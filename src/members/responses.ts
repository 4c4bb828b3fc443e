import Joi from 'joi';
import { calendarDate, count, id, nullableDate, nullableStr, shape, str } from '../http/schemas';

/** The register fields of a member as staff see them (memberView in queries.ts). */
export const memberFields = {
  memberNumber: Joi.string(),
  firstName: str,
  lastName: str,
  email: nullableStr,
  phone: nullableStr,
  street: nullableStr,
  postcode: nullableStr,
  postalPlace: nullableStr,
  municipalityNumber: nullableStr,
  municipality: nullableStr,
  countyCode: nullableStr,
  county: nullableStr,
  language: Joi.string().valid('nb', 'nn', 'en'),
  status: Joi.string().valid('active', 'resigned'),
  category: Joi.string(),
  joinedAt: calendarDate,
  resignedAt: nullableDate,
  resignationReason: nullableStr,
  duesOutstanding: Joi.boolean(),
  workplace: nullableStr,
  workplaceOrgNumber: nullableStr,
  employer: nullableStr,
  employerOrgNumber: nullableStr,
  branch: nullableStr,
  branchCode: nullableStr,
  club: nullableStr,
  clubCode: nullableStr,
  agreements: Joi.array().items(Joi.string()).description('agreement codes'),
};

/** One member (C4: the shared shape, a component of the document). */
export const memberSchema = shape({ id, ...memberFields }).id('Member');

export const memberSearchResponse = shape({ total: count, members: Joi.array().items(memberSchema) });

/** What an import (CSV or JSON) and the register's push report. */
export const importReport = shape({
  inserted: count, updated: count, unchanged: count, rejected: count,
  warnings: Joi.array().items(Joi.string()),
  errors: Joi.array().items(shape({ row: Joi.number().integer().min(0), field: Joi.string(), message: Joi.string() }))
    .description('at most the first errors; rejected counts them all'),
}).id('ImportReport');
