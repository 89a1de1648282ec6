// The console's shared components, for every area (the shell, the people's
// pages, the administrators' pages). Styles are in ../styles.css: classes
// btn/btn-primary/btn-secondary/btn-danger/btn-link, field, notice-*, table,
// dialog, tabs, empty-state, page-header, toolbar, actions, muted, sr-only.
export { Button } from "./Button";
export type { ButtonProps, ButtonVariant } from "./Button";
export { TextField, TextAreaField, SelectField, CheckboxField } from "./TextField";
export type { TextFieldProps, TextAreaFieldProps, SelectFieldProps, SelectOption, CheckboxFieldProps } from "./TextField";
export { Dialog, focusableIn } from "./Dialog";
export type { DialogProps } from "./Dialog";
export { ConfirmDialog } from "./ConfirmDialog";
export type { ConfirmDialogProps } from "./ConfirmDialog";
export { Table } from "./Table";
export type { Column, TableProps } from "./Table";
export { Tabs } from "./Tabs";
export type { TabItem, TabsProps } from "./Tabs";
export { Notice, ErrorNotice, LiveRegion, errorMessage } from "./Notice";
export type { NoticeKind, NoticeProps } from "./Notice";
export { EmptyState } from "./EmptyState";
export { CopyButton, copyText } from "./CopyButton";
export { MaskedSecret, SecretReveal } from "./Secret";
export { DateTime } from "./DateTime";
export { Loading } from "./Loading";
export { useAsync } from "./useAsync";
export { useUniqueId } from "./useUniqueId";
export type { AsyncState } from "./useAsync";
export { formatDate, formatDateTime, formatRelative, formatAge, ageInDays, formatDuration } from "./format";
export { MenuButton } from "./MenuButton";
export type { MenuItem } from "./MenuButton";
export { PersonIcon } from "./PersonIcon";
